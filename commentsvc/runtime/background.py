"""``commentsvc worker``: the background jobs, one loop, any number of processes.

A job has a ``name``, an ``interval_seconds`` and a ``run_once() -> int`` (how much it
did). Jobs are made from ``JOBS``: adding one is one line there. Every job must be
safe with several workers running it at once (claim work in the database, as the
notifications job does), because several containers may each run a worker.

The web workers never import this module: mail and webhook code is loaded only here.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from commentsvc.config import Settings

log = logging.getLogger(__name__)


class Job(Protocol):
    name: str
    interval_seconds: float

    def run_once(self) -> int: ...


@dataclass
class WorkerContext:
    """What jobs are made from: the settings, the database, and Redis on demand."""

    settings: Settings
    sessions: sessionmaker[Session]

    @cached_property
    def redis(self) -> Any:
        from commentsvc.store.redis_client import make_redis

        if not self.settings.redis_url:
            raise RuntimeError("COMMENTSVC_REDIS_URL is not set")
        return make_redis(self.settings.redis_url, self.settings.redis_timeout_seconds)


def _notifications(context: WorkerContext) -> Job:
    from commentsvc.notifications.delivery import DeliveryJob

    return DeliveryJob(context.settings, context.sessions)


def _spam_learner(context: WorkerContext) -> Job | None:
    from commentsvc.spam.learning import SpamLearner

    if not context.settings.redis_url:
        # The model lives in Redis: without one, decisions wait in the database.
        log.warning("COMMENTSVC_REDIS_URL is not set: the spam model learns nothing here")
        return None
    # scikit-learn only in a short-lived child, while there is something to learn.
    return SpamLearner(context.sessions, context.redis, separate_process=True)


def _retention(context: WorkerContext) -> Job:
    from commentsvc.people.retention import RetentionJob

    return RetentionJob(context.sessions, context.settings.ip_retention_days)


# Every background job, made once per worker process. One line per job.
JOBS: list[Callable[[WorkerContext], Job | None]] = [
    _notifications,
    _spam_learner,
    _retention,
]


class Worker:
    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self.stopping = threading.Event()

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


def run(settings: Settings, *, check_schema: bool = True) -> int:
    """Check the schema is current (``serve`` and ``db upgrade`` migrate; serve's own
    worker skips it, forked just after the migration), then run the jobs until
    SIGTERM or SIGINT."""
    from commentsvc.store import database as db

    settings = settings.with_secret_key()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    engine = db.make_engine(settings.effective_database_url)
    db.check_connection(engine)
    if check_schema:
        from commentsvc.store import migrate

        migrate.check_current(engine)
    context = WorkerContext(settings, db.Database(engine).sessions)
    worker = Worker([job for make in JOBS if (job := make(context)) is not None])
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: worker.stopping.set())
    if not settings.public_url:
        log.warning("COMMENTSVC_PUBLIC_URL is not set: links in mails use http://localhost:8080")
    try:
        worker.run()
    finally:
        engine.dispose()
    return 0
