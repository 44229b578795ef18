#!/usr/bin/env bash
# The benchmark, on a fresh machine of this kind: installs wrk (apt), Isso into its
# own virtual environment and commentsvc into the repository's, then runs bench/run.py.
#   bash bench/run.sh            # full run, about 10 minutes
#   bash bench/run.sh --smoke    # seconds; checks that it works and every answer is 2xx
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
command -v wrk >/dev/null || install_missing wrk
if [ ! -x bench/.venv-isso/bin/gunicorn ]; then
    python3 -m venv bench/.venv-isso
    bench/.venv-isso/bin/pip install --quiet 'isso==0.14.0' 'gunicorn>=27,<28'
fi
ensure_venv
exec .venv/bin/python bench/run.py "$@"
