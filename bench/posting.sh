#!/usr/bin/env bash
# Posting alone (or, with --read, reading), this checkout against another git revision
# (default HEAD), alternating on this machine; installs wrk (apt) and the virtual
# environment if needed.
#   bash bench/posting.sh [REVISION] [--rounds N] [--duration SECONDS] [--read]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
command -v wrk >/dev/null || install_missing wrk
ensure_venv
exec .venv/bin/python bench/posting.py "$@"
