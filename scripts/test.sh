#!/usr/bin/env bash
# The whole test suite, on a fresh Debian 12 machine: installs the system packages
# (redis-server, chromium, PostgreSQL 15, wrk, nginx) and the Python dependencies it needs,
# then runs lint (ruff, its formatting, mypy strict on commentsvc/), the benchmark's
# smoke mode, the scale-out smoke, the suite on SQLite and the suite again
# on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
source scripts/lib.sh

step() { printf '\n==> %s\n' "$*"; }

step "system packages"
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15)
command -v npm >/dev/null || missing+=(npm)
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
install_missing "${missing[@]}"

step "python dependencies"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test]'
export PATH="$PWD/.venv/bin:$PATH"
# axe-core for the accessibility check in the browser tests
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

step "lint"
ruff check commentsvc tests scripts bench
ruff format --check commentsvc tests scripts bench
mypy
hadolint Dockerfile

step "embed size budget"
python scripts/embed_size.py

step "benchmark, smoke mode (works, every answer 2xx; speed is not judged here)"
bash bench/run.sh --smoke

step "scale-out smoke: 3 instances, nginx, PostgreSQL, Redis Sentinel, failures under load"
bash scripts/scale.sh --smoke

step "tests on SQLite"
pytest -q -p no:cacheprovider

step "tests on PostgreSQL"
pgdir=$(mktemp -d /tmp/commentsvc-pg.XXXXXX)
trap 'bash scripts/postgres.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
COMMENTSVC_TEST_DATABASE_URL=$(bash scripts/postgres.sh start "$pgdir" | tail -n 1)
export COMMENTSVC_TEST_DATABASE_URL
pytest -q -p no:cacheprovider
unset COMMENTSVC_TEST_DATABASE_URL
