"""The `commentsvc` command as a site owner runs it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from commentsvc.cli import main
from commentsvc.runtime.embedded_redis import free_port
from tests.comments.test_sizes import encoded, post
from tests.conftest import ARTICLE, SITE


def http(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, method=method)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, data, timeout=10) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def run(*args: str, env: dict[str, str], input: bytes | None = None) -> Result:
    """The command in this process (click's runner): what it prints and its exit code."""
    return CliRunner().invoke(main, list(args), env=env, input=input)


def test_moderators_add_prints_the_token_last_and_stores_only_its_hash(
    database_url: str, tmp_path: Path
) -> None:
    env = {"COMMENTSVC_DATABASE_URL": database_url, "COMMENTSVC_DATA_DIR": str(tmp_path)}

    added = run("moderators", "add", "alice", env=env)
    again = run("moderators", "add", "alice", env=env)
    listed = run("moderators", "list", env=env)

    assert added.exit_code == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    assert len(token) >= 40
    assert again.exit_code != 0 and "already" in again.stderr
    assert "alice" in listed.stdout
    if database_url.startswith("sqlite"):
        assert token.encode() not in Path(database_url.removeprefix("sqlite:///")).read_bytes()


def test_bad_configuration_stops_with_the_variable_named(tmp_path: Path) -> None:
    result = run(
        "serve", env={"COMMENTSVC_DATA_DIR": str(tmp_path), "COMMENTSVC_POST_RATE_LIMIT": "lots"}
    )

    assert result.exit_code != 0
    assert "COMMENTSVC_POST_RATE_LIMIT" in result.stderr
    assert "5/minute" in result.stderr


@pytest.mark.parametrize(
    "command", [("moderators", "list"), ("moderators", "add", "bob"), ("export",)]
)
def test_commands_that_only_use_the_schema_ask_for_db_upgrade_first(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    empty = tmp_path / "new.sqlite3"
    env = {"COMMENTSVC_DATABASE_URL": f"sqlite:///{empty}", "COMMENTSVC_DATA_DIR": str(tmp_path)}

    refused = run(*command, env=env)
    upgraded = run("db", "upgrade", env=env)
    then = run(*command, env=env)

    assert refused.exit_code == 1
    assert "run `commentsvc db upgrade` first" in refused.stderr
    assert "Traceback" not in refused.output
    assert upgraded.exit_code == 0 and "up to date" in upgraded.stdout
    assert then.exit_code == 0, then.stderr


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def embedded_env(data_dir: Path, **variables: str | None) -> dict[str, str]:
    """The environment of a `commentsvc serve` on its embedded defaults: the tests' own
    without the fixtures' Redis and database URLs, its data in ``data_dir``, and
    ``variables`` by their names after ``COMMENTSVC_`` (``WORKERS="2"``; None: unset)."""
    env = {**os.environ, "COMMENTSVC_DATA_DIR": str(data_dir)}
    for name in ("COMMENTSVC_REDIS_URL", "COMMENTSVC_DATABASE_URL"):
        env.pop(name, None)
    for name, value in variables.items():
        if value is None:
            env.pop(f"COMMENTSVC_{name}", None)
        else:
            env[f"COMMENTSVC_{name}"] = value
    return env


@contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`commentsvc serve` on a free port until it answers /healthz; SIGTERM after."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        ["commentsvc", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if http("GET", f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, "serve stopped at start"
            assert time.monotonic() < deadline, "serve did not answer in time"
            time.sleep(0.2)
        yield base, server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_serve_runs_on_embedded_defaults_end_to_end(tmp_path: Path) -> None:
    """The README's first session: serve, post, 422 for a bad email, moderate, read."""
    data = tmp_path / "data"
    env = embedded_env(data, SITES=SITE, WORKERS="2")

    with serving(env) as (base, server):
        bad = http(
            "POST",
            f"{base}/api/v1/comments",
            {"url": ARTICLE, "name": "Ann", "email": "ann@", "body": "Hi"},
        )
        created = http(
            "POST",
            f"{base}/api/v1/comments",
            {"url": ARTICLE, "name": "Ann", "email": "ann@example.com", "body": "Hi"},
        )
        # Several workers answer scrapes; each must report the service's count.
        scrapes = [scrape(f"{base}/metrics") for _ in range(6)]
    first_output = server.stdout.read() if server.stdout else ""

    assert server.returncode == 0
    assert bad[0] == 422 and "email" in bad[1]["error"]["fields"]
    assert created[0] == 202 and created[1]["status"] == "pending"
    assert all("commentsvc_comments_posted_total 1.0" in text for text in scrapes), scrapes[0]
    assert (
        f'<script src="http://localhost:{base.rsplit(":", 1)[1]}/embed.js" async></script>'
        in first_output
    )
    token = first_output.strip().splitlines()[-1]
    assert (data / "commentsvc.sqlite3").exists()
    assert any((data / "redis").iterdir()), "the embedded Redis kept no data"

    # A restart on the same data: the queue is still there and no new token is printed.
    with serving(env) as (base, server):
        queue = http("GET", f"{base}/api/v1/moderation/queue", token=token)
        comment_id = queue[1]["comments"][0]["id"]
        decided = http(
            "POST",
            f"{base}/api/v1/moderation/comments/{comment_id}",
            {"action": "approve"},
            token=token,
        )
        thread = http("GET", f"{base}/api/v1/comments?url={ARTICLE}")
    second_output = server.stdout.read() if server.stdout else ""

    assert decided[0] == 200
    assert thread[1]["total"] == 1
    assert "ann@example.com" not in json.dumps(thread[1])
    assert "First start" not in second_output and token not in second_output


def private(path: Path) -> bool:
    return path.stat().st_mode & 0o077 == 0


def test_commands_find_the_embedded_redis_of_serve_through_the_data_directory(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    env = embedded_env(data, WORKERS="1")

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["commentsvc", *args], env=env, capture_output=True, text=True, timeout=60
        )

    with serving(env) as (base, server):
        posted = http(
            "POST",
            f"{base}/api/v1/comments",
            {"url": ARTICLE, "name": "Ann", "email": "ann@example.com", "body": "Hi"},
        )
        # gunicorn: a whole comment of 4-byte characters fits, a bigger chunked body is 413.
        emoji, form = encoded(True, body="😀" * 10_000, website=None)
        oversized, _ = encoded(True, body="x" * 400_000)
        fits = post(base, emoji, form, chunked=True)
        too_large = post(base, oversized, form, chunked=True)
        status = command("queue", "status")
        requeued = command("queue", "requeue")
        url = (data / "redis" / "url").read_text().strip()
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        # Another local user can find the port, not the password.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"KEYS *\r\n")
            guessed = sock.recv(200).decode()
        written = {path.name: private(path) for path in data.rglob("*") if path.is_file()}
    output = server.stdout.read() if server.stdout else ""
    after = command("queue", "status")

    assert posted[0] == 202
    assert fits[0] == 303 and too_large[0] == 413, (fits, too_large)
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("2 comments in the moderation queue"), status.stdout
    assert requeued.returncode == 0 and "0 pending comments put back" in requeued.stdout
    assert guessed.startswith("-NOAUTH"), guessed
    password = url.split("@")[0].rsplit(":", 1)[1]
    assert password not in output and "redis:    redis://:***@127.0.0.1:" in output
    # Only the owner can read the data, its journal, Redis' files, the URL, the key.
    assert {"commentsvc.sqlite3", "secret_key", "url", "redis.log"} <= set(written), written
    assert any(name.endswith("-wal") for name in written), written
    assert [name for name, owner_only in written.items() if not owner_only] == []
    assert private(data) and private(data / "redis")
    assert not (data / "redis" / "url").exists()
    assert after.returncode == 1
    assert "no `commentsvc serve` is running with the data directory" in after.stderr


def test_an_export_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    env = {"COMMENTSVC_DATA_DIR": str(tmp_path / "data")}
    target = tmp_path / "export.jsonl"
    target.write_text("an older export, readable by everyone")
    target.chmod(0o644)

    assert run("db", "upgrade", env=env).exit_code == 0
    exported = run("export", "-o", str(target), env=env)

    assert exported.exit_code == 0, exported.output
    assert private(target) and private(tmp_path / "data" / "commentsvc.sqlite3")
