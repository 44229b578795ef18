"""The background jobs (mail, webhooks, the spam learner, retention): one loop, run
alone by ``commentsvc worker`` or inside ``commentsvc serve`` by one web worker
(``JobsInServe``).

A job has a ``name``, an ``interval_seconds`` and a ``run_once() -> int`` (how much it
did). Jobs are made from ``JOBS``: adding one is one line there. Every job must be
safe with several workers running it at once (claim work in the database, as the
notifications job does), because several containers may each run a worker.

Web workers import this module only when they run the jobs (``serve`` without
COMMENTSVC_WORKER_IN_SERVE=false): mail and webhook code is loaded only then.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from commentsvc.config import Settings
from commentsvc.notifications.delivery import DeliveryJob
from commentsvc.people.retention import RetentionJob
from commentsvc.spam.learning import SpamLearner
from commentsvc.store.redis_client import make_redis

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)


class Job(Protocol):
    name: str
    interval_seconds: float

    def run_once(self) -> int: ...


@dataclass
class WorkerContext:
    """What jobs are made from: the settings, the database, and Redis on demand (the
    web worker's own client when the jobs run inside ``serve``)."""

    settings: Settings
    sessions: sessionmaker[Session]
    shared_redis: Redis | None = None

    @cached_property
    def redis(self) -> Redis:
        if self.shared_redis is not None:
            return self.shared_redis
        if not self.settings.redis_url:
            raise RuntimeError("COMMENTSVC_REDIS_URL is not set")
        return make_redis(
            self.settings.redis_url,
            self.settings.redis_timeout_seconds,
            self.settings.redis_password,
        )


def _notifications(context: WorkerContext) -> Job:
    return DeliveryJob(context.settings, context.sessions)


def _spam_learner(context: WorkerContext) -> Job | None:
    if not context.settings.redis_url:
        # The model lives in Redis: without one, decisions wait in the database.
        log.warning("COMMENTSVC_REDIS_URL is not set: the spam model learns nothing here")
        return None
    return SpamLearner(context.sessions, context.redis)


def _retention(context: WorkerContext) -> Job:
    return RetentionJob(context.sessions, context.settings.ip_retention_days)


# Every background job, made once per worker process. One line per job.
JOBS: list[Callable[[WorkerContext], Job | None]] = [
    _notifications,
    _spam_learner,
    _retention,
]


def make_jobs(context: WorkerContext) -> list[Job]:
    return [job for make in JOBS if (job := make(context)) is not None]


class Worker:
    def __init__(self, jobs: list[Job], stopping: threading.Event | None = None) -> None:
        self.jobs = jobs
        self.stopping = stopping or threading.Event()

    def run_due(self, due: dict[str, float]) -> None:
        """Run each job whose time has come; a failing job is logged and tried again
        at its next turn, and never stops the others."""
        for job in self.jobs:
            if self.stopping.is_set():
                return
            if time.monotonic() < due.get(job.name, 0.0):
                continue
            try:
                job.run_once()
            except SQLAlchemyError as exc:
                log.warning("%s: the database is not answering, tried again soon: %s",
                            job.name, exc)  # fmt: skip
            except Exception:
                log.exception("%s failed; tried again at its next turn", job.name)
            due[job.name] = time.monotonic() + job.interval_seconds

    def run(self) -> None:
        due: dict[str, float] = {}
        log.info("worker running: %s", ", ".join(job.name for job in self.jobs))
        while not self.stopping.is_set():
            self.run_due(due)
            next_due = min(due.values(), default=time.monotonic() + 1.0)
            self.stopping.wait(max(0.0, min(next_due - time.monotonic(), 5.0)))
        log.info("worker stopped")


def run(settings: Settings) -> int:
    """Check the schema is current (``serve`` and ``db upgrade`` migrate), then run
    the jobs until SIGTERM or SIGINT."""
    from commentsvc.store import database as db
    from commentsvc.store import migrate

    settings = settings.with_secret_key()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    engine = db.make_engine(settings.effective_database_url)
    db.check_connection(engine)
    migrate.check_current(engine)
    context = WorkerContext(settings, db.Database(engine).sessions)
    worker = Worker(make_jobs(context))
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: worker.stopping.set())
    if not settings.public_url:
        log.warning("COMMENTSVC_PUBLIC_URL is not set: links in mails use http://localhost:8080")
    try:
        worker.run()
    finally:
        engine.dispose()
    return 0


# How often a web worker that does not run the jobs looks whether it should.
TAKEOVER_SECONDS = 2.0
LOCK_FILE = "jobs.lock"


class JobsInServe:
    """The jobs inside ``commentsvc serve``, in a thread of one web worker.

    Every web worker (the master, which serves too, among them) starts one; the one
    holding an exclusive lock on DATA_DIR/jobs.lock runs the jobs, the others look
    again every TAKEOVER_SECONDS.
    The kernel releases the lock when its holder ends, however it ends (a crash,
    gunicorn's timeout, a restart), so another worker takes over within seconds, and
    two never run at once. The jobs use the worker's own connections. A process of
    their own would cost about 20 MB more (docs/architecture.md), and mail or a
    webhook that waits on the network holds neither a request nor the GIL.
    """

    def __init__(self, context: WorkerContext, first_look_after: float = 0.0) -> None:
        self.context = context
        # The serving master looks later, leaving the jobs to a forked worker: memory
        # they take then goes with a process that can end and be replaced.
        self.first_look_after = first_look_after
        self.lock_path = context.settings.data_dir / LOCK_FILE
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Lets the job under way finish, for up to ``timeout`` seconds."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            lock = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            log.error("background jobs cannot run: %s: %s", self.lock_path, exc.strerror)
            return
        try:
            if self._wait_for(lock):
                log.info("background jobs run in this worker (pid %d)", os.getpid())
                Worker(make_jobs(self.context), self._stopping).run()
        except Exception:
            log.exception("background jobs stopped on an error")
        finally:
            os.close(lock)  # releases the lock: another worker takes over

    def _wait_for(self, lock: int) -> bool:
        self._stopping.wait(self.first_look_after)
        while not self._stopping.is_set():
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                self._stopping.wait(TAKEOVER_SECONDS)
        return False
