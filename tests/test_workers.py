"""`commentsvc serve`'s web workers: the master is one of them, a worker that ends is
replaced, and gunicorn's worker spreads connections over them."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import SITE, free_port
from tests.notifications.conftest import wait_for
from tests.test_cli import embedded_env, serving
from tests.test_cli import http as call_api

SLOW_APP = """
import os, time

def app(environ, start_response):
    started = time.time()
    time.sleep(0.5)
    body = f"{os.getpid()} {started} {time.time()}".encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
"""


def test_a_busy_worker_leaves_new_connections_to_an_idle_one(tmp_path: Path) -> None:
    (tmp_path / "slow_app.py").write_text(SLOW_APP)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--no-control-socket", "-w", "2", "--threads", "1",
         "-k", "commentsvc.runtime.gunicorn_worker.BalancedThreadWorker", "-b", f"127.0.0.1:{port}",
         "--chdir", str(tmp_path), "slow_app:app"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=5).connect()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        time.sleep(1)  # both workers booted

        def ask(_: int) -> str:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/")
            return connection.getresponse().read().decode()

        with ThreadPoolExecutor(2) as pool:
            answers = [answer.split() for answer in pool.map(ask, range(2))]
    finally:
        server.terminate()
        server.wait(20)

    # Each worker has one thread: two slow requests at once are served side by side
    # by the two workers, not one after the other by one.
    (pid_a, start_a, end_a), (pid_b, start_b, end_b) = answers
    assert pid_a != pid_b
    assert float(start_a) < float(end_b) and float(start_b) < float(end_a)


def python_children(pid: int) -> set[int]:
    """serve's live child processes that run Python (its workers; not the Redis server)."""
    found = set()
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            program = Path(os.readlink(f"/proc/{child}/exe"))
        except FileNotFoundError:  # ended, not yet reaped
            continue
        if program.name.startswith("python"):
            found.add(int(child))
    return found


def freeze(pid: int) -> None:
    """SIGSTOP, and wait until every thread has stopped: the kernel stops them a
    moment after kill() returns, time enough for one of them to accept a connection."""
    os.kill(pid, signal.SIGSTOP)

    def states() -> set[str]:
        found = set()
        for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
            try:
                found.add(stat.read_text().rsplit(")", 1)[1].split()[0])
            except FileNotFoundError:  # a thread that just ended
                continue
        return found

    wait_for(lambda: states() == {"T"}, step=0.001)


def answers_alone(base: str, stopped: int) -> None:
    """Reads and a post are answered while process ``stopped`` is frozen."""
    freeze(stopped)
    try:
        for _ in range(10):
            status, _thread = call_api("GET", f"{base}/api/v1/comments?url={SITE}/a")
            assert status == 200
        comment = {"url": f"{SITE}/a", "name": "Ann", "email": "ann@example.com", "body": "Hi"}
        status, _created = call_api("POST", f"{base}/api/v1/comments", comment)
        assert status == 202
    finally:
        os.kill(stopped, signal.SIGCONT)


def test_serve_serves_in_the_master_too_and_replaces_a_worker_that_ends(tmp_path: Path) -> None:
    env = embedded_env(tmp_path / "data", SITES=SITE, WORKERS="2")
    with serving(env) as (base, server):
        # Two workers: the master and one forked from it.
        [forked] = wait_for(lambda: python_children(server.pid))
        answers_alone(base, stopped=forked)  # the master answers by itself

        os.kill(forked, signal.SIGKILL)
        [replacement] = wait_for(lambda: python_children(server.pid) - {forked}, timeout=30)
        # Connections wait in the listening socket's queue while its app is built.
        answers_alone(base, stopped=server.pid)  # the replacement answers by itself
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
    assert not Path(f"/proc/{replacement}").exists()
