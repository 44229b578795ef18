#!/usr/bin/env bash
# Posting alone, this checkout against another git revision (default HEAD),
# alternating on this machine; installs wrk (apt) and the virtual environment if needed.
#   bash bench/posting.sh [REVISION] [--rounds N] [--duration SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if [ ! -x .venv/bin/commentsvc ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet -e .
fi
exec .venv/bin/python bench/posting.py "$@"
