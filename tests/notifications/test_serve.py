"""`commentsvc serve` runs the background worker as a child process beside gunicorn,
and stops it after gunicorn; `moderators add --email` gives a moderator mail."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from commentsvc.runtime.server import WORKER_PROCESS_NAME
from tests.conftest import ARTICLE, SITE
from tests.notifications.conftest import links_in, wait_for
from tests.test_cli import http, run, serving


def worker_children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and name == WORKER_PROCESS_NAME:
            found.append(int(entry.name))
    return found


def test_serve_delivers_mail_and_webhooks_from_its_own_worker_process(
    tmp_path: Path, smtp_server: Any, webhook_receiver: Any
) -> None:
    env = {
        **os.environ,
        "COMMENTSVC_DATA_DIR": str(tmp_path / "data"),
        "COMMENTSVC_SITES": SITE,
        "COMMENTSVC_WORKERS": "1",
        "COMMENTSVC_SMTP_URL": smtp_server.url,
        "COMMENTSVC_MAIL_FROM": "comments@example.com",
        "COMMENTSVC_WEBHOOK_URLS": webhook_receiver.url,
        "COMMENTSVC_WORKER_INTERVAL_SECONDS": "0.2",
    }
    for name in ("COMMENTSVC_REDIS_URL", "COMMENTSVC_DATABASE_URL", "COMMENTSVC_PUBLIC_URL"):
        env.pop(name, None)
    assert run("db", "upgrade", env=env).exit_code == 0
    added = run("moderators", "add", "mod", "--email", "Mod@Example.com", env=env)
    assert added.exit_code == 0, added.output
    listed = run("moderators", "list", env=env)
    assert "mod\tMod@example.com" in listed.stdout
    refused = run("moderators", "add", "bad", "--email", "not-an-address", env=env)
    assert refused.exit_code != 0 and "not a valid email address" in refused.stderr

    with serving(env) as (base, server):
        [worker] = wait_for(lambda: worker_children(server.pid))
        status, created = http("POST", f"{base}/api/v1/comments",
                               {"url": ARTICLE, "name": "Ann", "email": "ann@example.com",
                                "body": "Hello"})  # fmt: skip
        assert status == 202
        [request] = wait_for(webhook_receiver.delivered, timeout=30)
        [mail] = wait_for(lambda: smtp_server.handler.to("Mod@example.com"), timeout=30)
        assert json.loads(request.body)["comment"]["id"] == created["id"]
        # No COMMENTSVC_PUBLIC_URL: links use http://localhost:PORT.
        port = base.rsplit(":", 1)[1]
        assert links_in(mail)["Approve"].startswith(f"http://localhost:{port}/notifications/")
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    # Stopped with serve, not left behind.
    assert wait_for(lambda: not Path(f"/proc/{worker}").exists(), timeout=5)


def test_serve_can_leave_the_worker_to_a_separate_container(tmp_path: Path) -> None:
    env = {**os.environ, "COMMENTSVC_DATA_DIR": str(tmp_path / "data"), "COMMENTSVC_SITES": SITE,
           "COMMENTSVC_WORKERS": "1", "COMMENTSVC_WORKER_IN_SERVE": "false"}  # fmt: skip
    for name in ("COMMENTSVC_REDIS_URL", "COMMENTSVC_DATABASE_URL"):
        env.pop(name, None)
    with serving(env) as (_base, server):
        assert worker_children(server.pid) == []
