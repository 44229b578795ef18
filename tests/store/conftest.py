"""A replicated Redis watched by three Sentinels, as real processes on free ports:
a primary, one replica, and ``redis-server CONF --sentinel`` three times."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import RedisError

from commentsvc.runtime.embedded_redis import free_port, server_binary

MASTER_NAME = "commentsvc"
PASSWORD = "sentinel-test-secret"


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Polls generously: a fail-over on a busy 2-core machine takes a few seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except RedisError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)


class SentinelGroup:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.binary = shutil.which("redis-server") or server_binary()
        self.primary_port = free_port()
        self.replica_port = free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    def url(self, with_password: bool = True) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        credentials = f":{PASSWORD}@" if with_password else ""
        return f"redis+sentinel://{credentials}{hosts}/{MASTER_NAME}/0"

    def _redis(self, port: int, *extra: str) -> None:
        directory = self.workdir / str(port)
        directory.mkdir(parents=True, exist_ok=True)
        self.processes[port] = subprocess.Popen(
            [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(directory), "--requirepass", PASSWORD,
             "--masterauth", PASSWORD, *extra],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def _sentinel(self, port: int) -> None:
        # Sentinel rewrites its configuration file: each has its own, writable.
        conf = self.workdir / f"sentinel-{port}.conf"
        conf.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {self.workdir}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.primary_port} 2\n"
            f"sentinel auth-pass {MASTER_NAME} {PASSWORD}\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
            f"sentinel failover-timeout {MASTER_NAME} 3000\n"
            f"sentinel parallel-syncs {MASTER_NAME} 1\n"
        )
        self.processes[port] = subprocess.Popen(
            [self.binary, str(conf), "--sentinel"], stdout=subprocess.DEVNULL
        )

    def start(self) -> None:
        self._redis(self.primary_port)
        self._redis(self.replica_port, "--replicaof", "127.0.0.1", str(self.primary_port))
        for port in self.sentinel_ports:
            self._sentinel(port)
        replica = Redis(port=self.replica_port, password=PASSWORD)
        wait_until(lambda: replica.info("replication")["master_link_status"] == "up",
                   "the replica syncs")  # fmt: skip
        for port in self.sentinel_ports:
            wait_until(partial(self._sentinel_sees_all, port),
                       "the Sentinels know each other and the replica")  # fmt: skip

    @staticmethod
    def _sentinel_sees_all(port: int) -> bool:
        master: Any = Redis(port=port).sentinel_master(MASTER_NAME)
        return bool(master["num-other-sentinels"] == 2 and master["num-slaves"] == 1)

    @staticmethod
    def _names_another_primary(sentinel_port: int, old_port: int) -> bool:
        answer: Any = Redis(port=sentinel_port).sentinel_get_master_addr_by_name(MASTER_NAME)
        return int(answer[1]) != old_port

    def primary_address(self) -> tuple[str, int]:
        answer: Any = Redis(port=self.sentinel_ports[0]).sentinel_get_master_addr_by_name(
            MASTER_NAME
        )
        host, port = answer
        return host.decode() if isinstance(host, bytes) else host, int(port)

    def kill_primary(self) -> int:
        """SIGKILL the primary; answers its port."""
        _, port = self.primary_address()
        process = self.processes.pop(port)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        return port

    def wait_for_promotion(self, port: int) -> int:
        """Wait until every Sentinel names another primary than ``port``; its port."""
        for sentinel_port in self.sentinel_ports:
            wait_until(partial(self._names_another_primary, sentinel_port, port),
                       "the Sentinels promote the replica")  # fmt: skip
        new_port = self.primary_address()[1]
        promoted = Redis(port=new_port, password=PASSWORD)
        wait_until(lambda: promoted.info("replication")["role"] == "master",
                   "the replica takes the role of primary")  # fmt: skip
        return new_port

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process.wait(10)
        self.processes.clear()


@pytest.fixture
def sentinels(tmp_path: Path) -> Iterator[SentinelGroup]:
    group = SentinelGroup(tmp_path / "sentinel")
    group.start()
    yield group
    group.stop()
