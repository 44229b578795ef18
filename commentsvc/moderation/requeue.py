"""The requeue sweep, in the background of every worker: pending comments that did
not reach the queue (Redis was down) or left it (Redis came back empty) are put
back on it, without anyone having to notice."""

from __future__ import annotations

import logging
import threading

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from commentsvc.moderation.queue import ModerationQueue
from commentsvc.moderation.services import requeue_missing

log = logging.getLogger(__name__)


class RequeueSweeper:
    def __init__(
        self, sessions: sessionmaker[Session], queue: ModerationQueue, interval: float
    ) -> None:
        self.sessions = sessions
        self.queue = queue
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> int:
        """One pass; 0 while Redis is still down (the next pass tries again)."""
        try:
            with self.sessions() as session:
                requeued = requeue_missing(session, self.queue)
        except (RedisError, SQLAlchemyError) as exc:
            log.debug("requeue sweep skipped: %s", exc)
            return 0
        if requeued:
            log.info("requeued %d pending comments for moderation", requeued)
        return requeued

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="requeue", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sweep()
