#!/usr/bin/env bash
# Install commentsvc into .venv and serve it on its embedded defaults: a SQLite file
# and an embedded Redis server, all data under ./data. It installs again whenever
# pyproject.toml or the source changed since the last install (after a `git pull`,
# say: new dependencies are installed, new code is run). Extra arguments go to
# `commentsvc serve` (e.g. --host 0.0.0.0 --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "scripts/serve.sh: $*" >&2
    exit 1
}

# What the installed package is made of: pyproject.toml (dependencies) and the files
# it installs. A regular install, not an editable one: the service runs what was
# installed, and a change is installed here, by the next start.
stamp=.venv/.installed-sha256
wanted="$(find pyproject.toml README.md commentsvc embed -type f ! -path '*/__pycache__/*' \
    -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
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
        echo "pyproject.toml or the source changed since the last install:" \
            "installing commentsvc again ..." >&2
    fi
    .venv/bin/pip install --quiet .
    echo "$wanted" >"$stamp"
fi
export COMMENTSVC_DATA_DIR="${COMMENTSVC_DATA_DIR:-$PWD/data}"
exec .venv/bin/commentsvc serve "$@"
