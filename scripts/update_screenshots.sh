#!/usr/bin/env bash
# Refreshes the README's pictures of the widget (docs/embed-light.png and
# docs/embed-dark.png) from the screenshot test, run in a real browser.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
SCREENSHOT_DIR="$PWD/docs" pytest -q -p no:cacheprovider \
    tests/browser/test_embed.py -k test_screenshot_for_the_readme
git status --short docs/
