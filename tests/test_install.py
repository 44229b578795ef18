"""Installing as a site owner does: `pip install .`, and scripts/serve.sh."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parent.parent


def copy_of_the_repository(target: Path) -> Path:
    """The files git tracks (or would: the working tree's), as a fresh clone has them."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in listed:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_symlink():
            (target / name).symlink_to(os.readlink(ROOT / name))
        elif (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target / name)
    return target


def test_every_package_of_the_source_is_installed() -> None:
    configured = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    # The widget's source, embed/, is linked into the package as commentsvc.embed_assets.
    link = ROOT / "commentsvc" / "embed_assets"
    assert link.is_symlink() and link.resolve() == (ROOT / "embed").resolve()
    packages = set(configured["packages"]) - {
        "commentsvc.embed_assets",
        "commentsvc.embed_assets.lang",
    }
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
    (wheel,) = (tmp_path / "wheel").glob("commentsvc-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "commentsvc/embed_assets/embed.js", "commentsvc/embed_assets/embed.css",
        "commentsvc/static/moderate.html", "commentsvc/store/migrations/script.py.mako",
        "commentsvc/people/services.py",
    } <= names  # fmt: skip


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
    assert "pyproject.toml or the source changed since the last install" in changed.stderr
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


def shell_lines(document: str) -> list[str]:
    text = (ROOT / document).read_text().replace("\\\n", " ")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def compose_services(line: str) -> list[str]:
    """The services a `docker compose ...` line names."""
    words = line.split("#")[0].replace("|", " | ").split()
    if words[:2] != ["docker", "compose"] or len(words) < 3:
        return []
    rest = [word for word in words[3:] if not word.startswith("-")]
    if words[2] == "up":
        return rest[: rest.index("|")] if "|" in rest else rest
    return rest[:1]


def test_the_readme_starts_with_its_two_commands() -> None:
    commands = [line for line in shell_lines("README.md") if not line.startswith("#")]

    assert commands[:2] == ["bash scripts/serve.sh", "bash scripts/test.sh"]


@pytest.mark.parametrize("document", ["README.md", "docs/operations.md"])
def test_docker_commands_match_the_image_and_compose(document: str) -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    lines = shell_lines(document)
    image_timeout = int(
        re.search(r"COMMENTSVC_WORKER_TIMEOUT_SECONDS=(\d+)", (ROOT / "Dockerfile").read_text())[1]  # type: ignore[index]
    )

    runs = [line for line in lines if line.startswith("docker run -d")]
    assert runs and all("--stop-timeout 40" in line for line in runs)
    assert image_timeout < 40 and compose["services"]["app"]["stop_grace_period"] == "40s"
    # Every service a compose command names is one compose.yaml has.
    named = {service for line in lines for service in compose_services(line)}
    assert named and named <= set(compose["services"]), named
    # Moving to compose: the old container stops before the export and the new app.
    if any("commentsvc import" in line for line in lines):
        order = [line.split("#")[0].strip() for line in lines if line.startswith("docker")]
        stop = next(i for i, line in enumerate(order) if line.startswith("docker stop comments"))
        export = next(i for i, line in enumerate(order) if "commentsvc export >" in line
                      and "docker run --rm" in line)  # fmt: skip
        app_up = next(
            i for i, line in enumerate(order) if line == "docker compose up -d" and i > export
        )
        assert stop < export < app_up
