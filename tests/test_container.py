"""The container image's own command, run as the image runs it (there is no Docker
engine here): the final stage's ENV and CMD from the Dockerfile, with the data
directory, port and address pointed at this machine's temporary ones."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from commentsvc.embedded_redis import free_port
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


def test_the_image_command_serves_stops_cleanly_and_keeps_its_data(tmp_path: Path) -> None:
    image_env, command, health = final_stage()
    assert command[:2] == ["commentsvc", "serve"]
    port = free_port()
    # The image listens on 0.0.0.0:8080 in its own network; here: loopback, a free port.
    command = with_flag(with_flag(command, "--port", str(port)), "--host", "127.0.0.1")
    env = {**os.environ, **{k: v for k, v in image_env.items() if k != "PATH"}}
    env["COMMENTSVC_DATA_DIR"] = str(tmp_path / "data")  # the image's /data volume
    for name in ("COMMENTSVC_REDIS_URL", "COMMENTSVC_DATABASE_URL", "COMMENTSVC_SITES"):
        env.pop(name, None)
    health_check = [part.replace("8080", str(port)) for part in health]
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

    def stop(server: subprocess.Popen[str]) -> str:
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
    token = stop(server).strip().splitlines()[-1]

    assert list((tmp_path / "data" / "redis").glob("appendonlydir/*.aof"))
    server = start()
    queue = urllib.request.Request(
        f"{base}/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(queue, timeout=10) as answer:
        comments = json.loads(answer.read())["comments"]
    stop(server)

    assert [c["body"] for c in comments] == ["kept"]
