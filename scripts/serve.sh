#!/usr/bin/env bash
# Install commentsvc into .venv (first run only) and serve it on its embedded
# defaults: a SQLite file and an embedded Redis server, all data under ./data.
# Extra arguments go to `commentsvc serve` (e.g. --host 0.0.0.0 --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/commentsvc ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet -e .
fi
export COMMENTSVC_DATA_DIR="${COMMENTSVC_DATA_DIR:-$PWD/data}"
exec .venv/bin/commentsvc serve "$@"
