"""`commentsvc serve` runs the background jobs in one of its web workers, hands them
to another when that one ends, and stops them with serve; `moderators add --email`
gives a moderator mail."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.conftest import ARTICLE, SITE
from tests.notifications.conftest import links_in, wait_for
from tests.test_cli import embedded_env, http, run, serving


def jobs_lock_holder(data_dir: Path) -> int | None:
    """The process holding serve's jobs lock (DATA_DIR/jobs.lock), from /proc/locks."""
    try:
        inode = (data_dir / "jobs.lock").stat().st_ino
    except OSError:
        return None
    for line in Path("/proc/locks").read_text().splitlines():
        # "1: FLOCK  ADVISORY  WRITE 1234 00:1f:5678 0 EOF"
        fields = line.split()
        if fields[1] == "FLOCK" and fields[5].endswith(f":{inode}"):
            return int(fields[4])
    return None


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_serve_delivers_mail_and_webhooks_from_one_web_worker_then_another(
    tmp_path: Path, smtp_server: Any, webhook_receiver: Any
) -> None:
    data = tmp_path / "data"
    env = embedded_env(
        data, SITES=SITE, WORKERS="2", SMTP_URL=smtp_server.url,
        MAIL_FROM="comments@example.com", WEBHOOK_URLS=webhook_receiver.url,
        WORKER_INTERVAL_SECONDS="0.2", PUBLIC_URL=None,
    )  # fmt: skip
    assert run("db", "upgrade", env=env).exit_code == 0
    added = run("moderators", "add", "mod", "--email", "Mod@Example.com", env=env)
    assert added.exit_code == 0, added.output
    listed = run("moderators", "list", env=env)
    assert "mod\tMod@example.com" in listed.stdout
    refused = run("moderators", "add", "bad", "--email", "not-an-address", env=env)
    assert refused.exit_code != 0 and "not a valid email address" in refused.stderr

    def post(name: str) -> int:
        status, created = http("POST", f"{base}/api/v1/comments",
                               {"url": ARTICLE, "name": name, "email": "ann@example.com",
                                "body": f"Hello from {name}"})  # fmt: skip
        assert status == 202
        return int(created["id"])

    with serving(env) as (base, server):
        # One web worker of serve's holds the jobs lock: no process of its own. The
        # master, which serves too, leaves them to the worker forked from it first.
        first = wait_for(lambda: jobs_lock_holder(data))
        assert parent_of(first) == server.pid
        first_id = post("Ann")
        [request] = wait_for(webhook_receiver.delivered, timeout=30)
        [mail] = wait_for(lambda: smtp_server.handler.to("Mod@example.com"), timeout=30)
        assert json.loads(request.body)["comment"]["id"] == first_id
        # No COMMENTSVC_PUBLIC_URL: links use http://localhost:PORT.
        port = base.rsplit(":", 1)[1]
        assert links_in(mail)["Approve"].startswith(f"http://localhost:{port}/notifications/")

        # That worker dies: another (the master or the worker replacing the dead one)
        # takes the jobs over, and nothing waits for it.
        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: (holder := jobs_lock_holder(data)) != first and holder)
        assert second == server.pid or parent_of(second) == server.pid
        second_id = post("Bo")
        # (The moderator's next mail waits a minute: one mail a minute at most.)
        wait_for(lambda: len(webhook_receiver.delivered()) == 2, timeout=30)
        assert json.loads(webhook_receiver.delivered()[1].body)["comment"]["id"] == second_id
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    # Stopped with serve, not left behind.
    assert jobs_lock_holder(data) is None
    assert not Path(f"/proc/{second}").exists()


def test_serve_can_leave_the_jobs_to_a_separate_container(tmp_path: Path, smtp_server: Any) -> None:
    data = tmp_path / "data"
    env = embedded_env(
        data, SITES=SITE, WORKERS="1", WORKER_IN_SERVE="false", SMTP_URL=smtp_server.url,
        MAIL_FROM="c@example.com", WORKER_INTERVAL_SECONDS="0.2",
    )  # fmt: skip
    assert run("db", "upgrade", env=env).exit_code == 0
    assert run("moderators", "add", "mod", "--email", "mod@example.com", env=env).exit_code == 0
    with serving(env) as (base, _server):
        status, _ = http("POST", f"{base}/api/v1/comments", {"url": ARTICLE, "name": "Ann",
                         "email": "ann@example.com", "body": "Hello"})  # fmt: skip
        assert status == 202
        time.sleep(2)
        assert jobs_lock_holder(data) is None
        assert smtp_server.handler.to("mod@example.com") == []
        # The other container's `commentsvc worker` delivers it.
        worker = subprocess.Popen(["commentsvc", "worker"], env=env, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: smtp_server.handler.to("mod@example.com"), timeout=30)
        finally:
            worker.terminate()
            worker.wait(30)
