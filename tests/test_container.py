"""The container image's own command, run as the image runs it (there is no Docker
engine here): the final stage's ENV and CMD from the Dockerfile, with the data
directory, port and address pointed at this machine's temporary ones."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from commentsvc.runtime.embedded_redis import free_port
from tests.conftest import ARTICLE

DOCKERFILE = Path(__file__).parent.parent / "Dockerfile"


def final_stage() -> tuple[dict[str, str], list[str], list[str]]:
    """ENV, CMD and the HEALTHCHECK command of the Dockerfile's last stage."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    stage = text[text.rindex("\nFROM ") :]
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV (.+)$", stage, re.MULTILINE):
        env.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    command = json.loads(re.search(r"^CMD (\[.+\])$", stage, re.MULTILINE).group(1))  # type: ignore[union-attr]
    health = json.loads(re.search(r"HEALTHCHECK .*? CMD (\[.+\])$", stage, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return env, command, health


def with_flag(command: list[str], flag: str, value: str) -> list[str]:
    changed = list(command)
    changed[changed.index(flag) + 1] = value
    return changed


def image_command(data: Path, port: int) -> tuple[list[str], dict[str, str], list[str]]:
    """The image's CMD, environment and HEALTHCHECK command, for this machine."""
    image_env, command, health = final_stage()
    assert command[:2] == ["commentsvc", "serve"]
    # The image listens on 0.0.0.0:8080 in its own network; here: loopback, a free port.
    command = with_flag(with_flag(command, "--port", str(port)), "--host", "127.0.0.1")
    env = {**os.environ, **{k: v for k, v in image_env.items() if k != "PATH"}}
    env["COMMENTSVC_DATA_DIR"] = str(data)  # the image's /data volume
    for name in ("COMMENTSVC_REDIS_URL", "COMMENTSVC_DATABASE_URL", "COMMENTSVC_SITES"):
        env.pop(name, None)
    return command, env, [part.replace("8080", str(port)) for part in health]


def test_the_image_command_serves_stops_cleanly_and_keeps_its_data(tmp_path: Path) -> None:
    port = free_port()
    command, env, health_check = image_command(tmp_path / "data", port)
    base = f"http://127.0.0.1:{port}"

    def start() -> subprocess.Popen[str]:
        server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)  # fmt: skip
        deadline = time.monotonic() + 30
        while subprocess.run(health_check, capture_output=True).returncode != 0:
            assert server.poll() is None, "the image command stopped"
            assert time.monotonic() < deadline, "the HEALTHCHECK never passed"
            time.sleep(0.3)
        return server

    def stop(server: subprocess.Popen[str], *, signalled: bool = False) -> str:
        if not signalled:
            server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=40) == 0
        return server.stdout.read() if server.stdout else ""

    server = start()
    comment = {"url": ARTICLE, "name": "A", "email": "a@example.com", "body": "kept"}
    request = urllib.request.Request(
        f"{base}/api/v1/comments", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps(comment).encode(),
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 202
    # A reader's post still arriving when the stop comes: it is answered, and kept.
    in_flight = json.dumps({**comment, "body": "in flight"}).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=20) as reader:
        reader.sendall(
            b"POST /api/v1/comments HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % len(in_flight)
            + in_flight[:10]
        )
        time.sleep(0.5)  # the worker is now reading the body
        server.send_signal(signal.SIGTERM)
        time.sleep(1)
        reader.sendall(in_flight[10:])
        status_line = reader.makefile("rb").readline()
    assert status_line.startswith(b"HTTP/1.1 202"), status_line
    token = stop(server, signalled=True).strip().splitlines()[-1]

    redis_dir = tmp_path / "data" / "redis"
    assert list(redis_dir.glob("appendonlydir/*.aof")) and (redis_dir / "dump.rdb").exists()
    assert "ready to exit" in (redis_dir / "redis.log").read_text()  # a clean, saved stop
    server = start()
    queue = urllib.request.Request(
        f"{base}/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(queue, timeout=10) as answer:
        comments = json.loads(answer.read())["comments"]
    stop(server)

    assert sorted(c["body"] for c in comments) == ["in flight", "kept"]


def test_a_stop_during_start_up_still_stops_the_embedded_redis(tmp_path: Path) -> None:
    """`docker stop` right after `docker run`: the embedded Redis server is running and
    the schema is being migrated. It must stop too, saved, not linger on the data."""
    command, env, _health = image_command(tmp_path / "data", free_port())
    log = tmp_path / "data" / "redis" / "redis.log"
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 30
    while not (log.exists() and "Ready to accept connections" in log.read_text()):
        assert server.poll() is None and time.monotonic() < deadline, "Redis did not start"
        time.sleep(0.02)
    server.send_signal(signal.SIGTERM)

    assert server.wait(timeout=30) == 0
    assert "Starting gunicorn" not in (server.stderr.read() if server.stderr else "")
    redis_port = int(re.search(r"port=(\d+)", log.read_text()).group(1))  # type: ignore[union-attr]
    assert "ready to exit" in log.read_text()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", redis_port), timeout=2).close()
