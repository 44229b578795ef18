# Sourced by the scripts in scripts/ and bench/, from the repository's root: what
# they share to get this machine ready.

# install_missing PACKAGE...: install these Debian packages (none given: nothing to do).
install_missing() {
    [ $# -gt 0 ] || return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing system packages: $* (install them as root)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# ensure_venv: the repository's virtual environment with commentsvc installed.
ensure_venv() {
    if [ ! -x .venv/bin/commentsvc ]; then
        python3 -m venv .venv
        .venv/bin/pip install --quiet -e .
    fi
}
