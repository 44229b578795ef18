#!/usr/bin/env bash
# Install commentsvc into .venv and serve it on its embedded defaults: a SQLite file
# and an embedded Redis server, all data under ./data. It installs again whenever
# pyproject.toml changed since the last install (after a `git pull` that brings new
# dependencies, say). Extra arguments go to `commentsvc serve` (e.g. --host 0.0.0.0
# --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "scripts/serve.sh: $*" >&2
    exit 1
}

stamp=.venv/.installed-pyproject-sha256
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -x .venv/bin/commentsvc ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    command -v python3 >/dev/null \
        || fail "python3 is not installed. On Debian or Ubuntu: sudo apt-get install python3 python3-venv"
    if [ ! -x .venv/bin/pip ]; then
        echo "Installing commentsvc into .venv ..." >&2
        # Debian's python3 creates no virtual environment without python3-venv.
        if ! python3 -m venv .venv >/dev/null 2>&1; then
            rm -rf .venv
            fail "python3 cannot create a virtual environment (python3 -m venv failed)." \
                "On Debian or Ubuntu: sudo apt-get install python3-venv"
        fi
        .venv/bin/pip install --quiet --upgrade pip
    else
        echo "pyproject.toml changed since the last install: installing commentsvc again ..." >&2
    fi
    .venv/bin/pip install --quiet -e .
    echo "$wanted" >"$stamp"
fi
export COMMENTSVC_DATA_DIR="${COMMENTSVC_DATA_DIR:-$PWD/data}"
exec .venv/bin/commentsvc serve "$@"
