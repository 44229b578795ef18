#!/usr/bin/env bash
# The spam benchmark (bench/spam.py): moderators train the filter through the API,
# then precision and recall of automatic spam on comments never trained on.
#   bash bench/spam.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/commentsvc ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet -e .
fi
exec .venv/bin/python bench/spam.py "$@"
