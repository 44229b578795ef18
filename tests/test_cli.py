"""The `commentsvc` command as a site owner runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from commentsvc.runtime.embedded_redis import free_port
from tests.conftest import ARTICLE, SITE


def commentsvc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["commentsvc", *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


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


def test_moderators_add_prints_the_token_last_and_stores_only_its_hash(
    database_url: str, tmp_path: Path
) -> None:
    env = {"COMMENTSVC_DATABASE_URL": database_url, "COMMENTSVC_DATA_DIR": str(tmp_path)}

    added = commentsvc("moderators", "add", "alice", env=env)
    again = commentsvc("moderators", "add", "alice", env=env)
    listed = commentsvc("moderators", "list", env=env)

    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    assert len(token) >= 40
    assert again.returncode != 0 and "already" in again.stderr
    assert "alice" in listed.stdout
    if database_url.startswith("sqlite"):
        assert token.encode() not in Path(database_url.removeprefix("sqlite:///")).read_bytes()


def test_bad_configuration_stops_with_the_variable_named(tmp_path: Path) -> None:
    result = commentsvc(
        "serve", env={"COMMENTSVC_DATA_DIR": str(tmp_path), "COMMENTSVC_POST_RATE_LIMIT": "lots"}
    )

    assert result.returncode != 0
    assert "COMMENTSVC_POST_RATE_LIMIT" in result.stderr
    assert "5/minute" in result.stderr


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


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
    env = {
        **os.environ,
        "COMMENTSVC_DATA_DIR": str(data),
        "COMMENTSVC_SITES": SITE,
        "COMMENTSVC_WORKERS": "2",
    }
    for name in ("COMMENTSVC_REDIS_URL", "COMMENTSVC_DATABASE_URL"):
        env.pop(name, None)

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
