"""The gunicorn worker of `commentsvc serve` spreads connections over the workers."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import free_port

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
