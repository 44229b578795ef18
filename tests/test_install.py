"""Installing as a site owner does: `pip install .`, and scripts/serve.sh."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def copy_of_the_repository(target: Path) -> Path:
    """The files git tracks (or would: the working tree's), as a fresh clone has them."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in listed:
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def test_every_package_of_the_source_is_installed() -> None:
    configured = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(configured["packages"]) - set(configured["package-dir"])
    in_source = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "commentsvc").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }

    assert in_source == packages


def test_building_the_package_prints_no_warning(tmp_path: Path) -> None:
    source = copy_of_the_repository(tmp_path / "source")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps",
         "--wheel-dir", str(tmp_path / "wheel"), str(source)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if "warning" in line.lower()]
    assert warnings == [], "\n".join(warnings)
    assert "would be ignored" not in output


def serve_sh(
    copy: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # `--workers 0` is refused by `commentsvc serve` itself: the script installs, then
    # the command it ends in stops at once.
    return subprocess.run(
        ["bash", str(copy / "scripts/serve.sh"), *args],
        capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.mark.skipif(shutil.which("python3") is None, reason="no python3 on the PATH")
def test_serve_sh_installs_again_when_pyproject_changed(tmp_path: Path) -> None:
    copy = copy_of_the_repository(tmp_path / "site")

    first = serve_sh(copy, "--workers", "0")
    unchanged = serve_sh(copy, "--workers", "0")
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.1.1"'))
    changed = serve_sh(copy, "--workers", "0")

    assert "Installing commentsvc into .venv" in first.stderr, first.stderr
    assert "Invalid value for '--workers'" in first.stderr
    assert "Installing" not in unchanged.stderr and "again" not in unchanged.stderr
    assert "pyproject.toml changed since the last install" in changed.stderr
    version = subprocess.run(
        [str(copy / ".venv/bin/python"), "-c", "import importlib.metadata as m; "
         "print(m.version('commentsvc'))"],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert version.stdout.strip() == "0.1.1"


def test_serve_sh_says_what_to_install_when_python_has_no_venv(tmp_path: Path) -> None:
    copy = copy_of_the_repository(tmp_path / "site")
    # Debian's python3 without the python3-venv package: `-m venv` fails as it does
    # there; everything else is the real interpreter.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python3 = bin_dir / "python3"
    python3.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = -m ] && [ "$2" = venv ]; then\n'
        "  echo 'The virtual environment was not created successfully because ensurepip"
        " is not available.' >&2; exit 1\n"
        "fi\n"
        f'exec {sys.executable} "$@"\n'
    )
    python3.chmod(0o755)

    result = serve_sh(copy, "--workers", "0", env={"PATH": f"{bin_dir}:{os.environ['PATH']}"})

    assert result.returncode == 1
    assert "python3 -m venv failed" in result.stderr
    assert "sudo apt-get install python3-venv" in result.stderr
    assert not (copy / ".venv").exists()
