"""The gunicorn master of ``commentsvc serve``, which serves requests too.

With COMMENTSVC_WORKERS=N, the master forks N - 1 web workers and is the Nth one
itself: after forking them it runs the same worker (``BalancedThreadWorker``) in a
thread of its own, on copies of the listening sockets. It is still gunicorn's
arbiter in its main thread: it reaps, replaces and stops the workers it forked.

Why: the workers are forked from the master, which has built the app, and share its
pages until they write to them. Python writes to every object it uses (reference
counts), so each worker soon has its own copy of the pages its requests touch, and
an idle master keeps the originals that no process uses any more: about 20 MB
(docs/architecture.md). A master that serves uses its originals itself.

A worker that ends is replaced by a new process that builds the app itself
(``python -m commentsvc.runtime.arbiter SETUP HEARTBEAT LISTENER...``: inherited
file descriptors of a pipe with its settings, of the file it touches to tell the
master it is alive, and of the listening sockets), not by a fork: the master runs
threads by then, and a fork would copy locks that one of them may hold. A
replacement shares nothing with the master and so takes about 30 MB more; it is
only needed after a crash, a timeout or a signal sent to a worker.
"""

from __future__ import annotations

import os
import pickle
import selectors
import subprocess
import sys
import threading
from typing import Any

from gunicorn import sock
from gunicorn.arbiter import Arbiter
from gunicorn.workers.workertmp import WorkerTmp


class ServingArbiter(Arbiter):  # type: ignore[misc]
    """gunicorn's arbiter, plus a web worker of its own in a thread (see the module)."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.serving: tuple[Any, threading.Thread] | None = None

    def manage_workers(self) -> None:
        super().manage_workers()
        # After the first workers are forked: the fork happens before any thread runs.
        if self.serving is None and self.LISTENERS:
            self.serving = self._serve_here()

    def _serve_here(self) -> tuple[Any, threading.Thread]:
        # Copies: the arbiter closes its own listeners first when it stops, while this
        # worker still answers the requests it has.
        listeners = sock.create_sockets(
            self.cfg, self.log, fds=[os.dup(listener.fileno()) for listener in self.LISTENERS]
        )
        worker = self.worker_class(
            0, os.getppid(), listeners, self.app, self.timeout / 2.0, self.cfg, self.log
        )
        worker.pid = os.getpid()
        self.cfg.post_fork(self, worker)
        # What gunicorn's init_process does in a worker process, less what belongs to
        # a process (signals, its user, the random seed): those are the arbiter's.
        worker.tpool = worker.get_thread_pool()
        worker.poller = selectors.DefaultSelector()
        worker.method_queue.init()
        worker.load_wsgi()
        worker.is_parent_alive = lambda: True  # its "parent" is this process
        worker.booted = True
        thread = threading.Thread(target=worker.run, name="master's worker", daemon=True)
        thread.start()
        self.log.info("Serving in the master too (pid: %s)", worker.pid)
        return worker, thread

    def spawn_worker(self) -> int:
        if self.serving is None:
            return int(super().spawn_worker())
        return self._spawn_replacement()

    def _spawn_replacement(self) -> int:
        self.worker_age += 1
        worker = self.worker_class(
            self.worker_age, self.pid, self.LISTENERS, self.app, self.timeout / 2.0,
            self.cfg, self.log,
        )  # fmt: skip
        self.cfg.pre_fork(self, worker)
        setup_read, setup_write = os.pipe()
        # Written before the child starts (a few KB: the pipe holds them), so that a
        # child that ends at once cannot break the write.
        with os.fdopen(setup_write, "wb") as setup:
            pickle.dump(
                (self.app.settings, self.app.options, self.app.jobs_settings,
                 self.worker_age, self.pid),
                setup,
            )  # fmt: skip
        listener_fds = [listener.fileno() for listener in self.LISTENERS]
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(setup_read), str(worker.tmp.fileno()),
                 *map(str, listener_fds)],
                pass_fds=(setup_read, worker.tmp.fileno(), *listener_fds),
            )  # fmt: skip
        finally:
            os.close(setup_read)
        # The arbiter reaps it, as every child: marked done, the Popen object dropped
        # here neither waits for it nor keeps it for subprocess' own later reaping.
        process.returncode = 0
        worker.pid = process.pid
        self.WORKERS[process.pid] = worker
        self._stats["workers_spawned"] += 1
        self.log.info("Started a replacement worker with pid: %s", process.pid)
        return process.pid

    def stop(self, graceful: bool = True) -> None:
        if self.serving is not None:
            worker, _thread = self.serving
            worker.handle_exit(None, None)  # stop accepting, finish what it has
        super().stop(graceful)
        if self.serving is not None:
            worker, thread = self.serving
            thread.join(self.cfg.graceful_timeout if graceful else 2.0)
            self.cfg.worker_exit(self, worker)
            self.serving = None


def _replacement_worker(setup_fd: int, heartbeat_fd: int, listener_fds: list[int]) -> None:
    """A replacement web worker (see the module), in a process of its own."""
    from commentsvc.runtime.server import CommentsApplication

    with os.fdopen(setup_fd, "rb") as setup:
        settings, options, jobs_settings, age, master_pid = pickle.load(setup)  # noqa: S301 - from the master
    application = CommentsApplication(settings, options, threading.Event(), jobs_settings)
    cfg = application.cfg
    log = cfg.logger_class(cfg)
    listeners = sock.create_sockets(cfg, log, fds=listener_fds)
    worker = cfg.worker_class(age, master_pid, listeners, application, cfg.timeout / 2.0, cfg, log)
    # Its heartbeat goes to the file the master made for it and watches, not to one
    # of its own.
    worker.tmp.close()
    worker.tmp = WorkerTmp.__new__(WorkerTmp)
    worker.tmp._tmp = os.fdopen(heartbeat_fd, "w+b", 0)
    worker.pid = os.getpid()
    try:
        cfg.post_fork(None, worker)
        worker.init_process()
    finally:
        cfg.worker_exit(None, worker)


if __name__ == "__main__":
    setup, heartbeat, *listening = (int(word) for word in sys.argv[1:])
    _replacement_worker(setup, heartbeat, listening)
    sys.exit(0)
