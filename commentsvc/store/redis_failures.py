"""What happens when Redis fails: one policy, one log line and one metric for all.

Redis holds work and speed, never the only copy of anything (the database is the
source of truth), so most of its failures are survived: ``tolerated`` logs the
failure with what happens instead, counts it in ``commentsvc_redis_errors_total``
by operation, and goes on after the ``with`` block. Where nothing sensible can be
answered without Redis (a moderator claiming from the queue), ``required`` turns
the failure into a 503 whose message names what is unavailable.

A Redis that answers but refuses writes (out of memory under ``noeviction``, a
read-only replica, a failing snapshot) is told apart from one that is down:
``refuses_writes`` says which one an error is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter
from redis.exceptions import RedisError, ResponseError

from commentsvc.web.errors import Unavailable

log = logging.getLogger(__name__)

REDIS_ERRORS = Counter(
    "commentsvc_redis_errors", "Redis commands that failed, by what they were for", ["operation"]
)


def refuses_writes(exc: RedisError) -> bool:
    """Redis answered, and said no (OOM, READONLY, MISCONF): it is up but full or
    read-only. Connection errors and timeouts are a Redis that is down."""
    return isinstance(exc, ResponseError)


def note(operation: str, exc: RedisError, instead: str) -> None:
    """Count and log one failure of ``operation``; ``instead`` says what happens now."""
    REDIS_ERRORS.labels(operation).inc()
    state = "refuses writes" if refuses_writes(exc) else "is not answering"
    log.warning("redis %s during %s, %s: %s", state, operation, instead, exc)


@contextmanager
def tolerated(operation: str, instead: str) -> Iterator[None]:
    """Survive a Redis failure inside the block: noted, then go on after it."""
    try:
        yield
    except RedisError as exc:
        note(operation, exc, instead)


@contextmanager
def required(operation: str, what: str) -> Iterator[None]:
    """A Redis failure inside the block is a 503 saying that ``what`` is unavailable.
    Usable as a decorator too."""
    try:
        yield
    except RedisError as exc:
        note(operation, exc, "answered 503")
        raise Unavailable(f"{what} is unavailable right now ({_state(exc)}).") from exc


def _state(exc: RedisError) -> str:
    return "Redis refuses writes" if refuses_writes(exc) else "Redis is not answering"


def unavailable_message(exc: RedisError) -> str:
    """The 503 message for a Redis failure nobody labelled."""
    return f"This cannot be done right now ({_state(exc)})."
