"""What this process may answer from its own memory, because Redis would say the same.

Each worker listens to Redis' invalidation messages for the cache's keys (client
side caching, ``CLIENT TRACKING ... BCAST``, redirected to the listening connection
itself, which works on Redis 6+ and valkey alike). A value this worker read from
Redis stays *trusted* until a message says its key changed: a decision, a page
filled or expired, a flush. Before each read the worker applies the messages
waiting on its socket, which takes no round trip, so a trusted value is answered
without asking Redis at all.

Why this is as fresh as asking Redis: Redis queues a key's invalidation message in
the same step as the change, before anyone can read the changed key. A reader who
comes after a decision (the moderator's answer was sent, the page reloaded) finds
the message already waiting, and the copy is dropped. Every trusted value also has
a deadline, ``max_age``: the bound if the listening connection were cut without
this process noticing (a network partition). When the connection breaks, nothing
is trusted until it is back, and every read asks Redis as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError, ResponseError

from commentsvc.store.redis_client import dedicated_connection

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 1.0
MAX_TRUSTED = 50_000  # per kind of value; beyond it everything is forgotten at once


class Invalidations:
    def __init__(self, redis: Redis, prefix: str, max_age: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self.max_age = max_age
        self._connection: Any = None
        self._lock = threading.Lock()
        self._reconnect_at = 0.0
        self._supported = True
        # Counts the messages applied (and reconnections): a value read from Redis is
        # trusted only if none came in while it was being read.
        self._seen = 0
        self._trusted: dict[str, dict[Hashable, tuple[Any, float]]] = {}

    def listen(self) -> int | None:
        """Apply every message waiting. Returns how many have been seen, to pass to
        ``trust`` after reading Redis; None when not listening (trust nothing then)."""
        with self._lock:
            return self._seen if self._apply_waiting() else None

    def trusted(self, kind: str, key: Hashable) -> Any:
        """The value of ``key`` as Redis has it now, or None if it must be asked."""
        entry = self._trusted.get(kind, {}).get(key)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def trust(self, seen_before: int | None, kind: str, values: dict[Hashable, Any]) -> None:
        """Trust ``values`` read from Redis, unless a message came in since ``listen``
        returned ``seen_before`` (the read may have raced a change)."""
        with self._lock:
            if seen_before is None or not self._apply_waiting() or self._seen != seen_before:
                return
            trusted = self._trusted.setdefault(kind, {})
            if len(trusted) + len(values) > MAX_TRUSTED:
                trusted.clear()
            deadline = time.monotonic() + self.max_age
            for key, value in values.items():
                trusted[key] = (value, deadline)

    def forget(self, key: str) -> None:
        with self._lock:
            self._forget(key)

    def close(self) -> None:
        with self._lock:
            self._disconnect()

    # Under self._lock from here on.

    def _apply_waiting(self) -> bool:
        if self._connection is None and not self._connect():
            return False
        try:
            while self._connection.can_read(timeout=0):
                message = self._connection.read_response()
                if message[0] == b"message":
                    self._apply(message[2])
        except (RedisError, OSError) as exc:
            log.warning("lost Redis' invalidation messages, asking Redis until back: %s", exc)
            self._disconnect()
            return False
        return True

    def _apply(self, keys: list[bytes] | None) -> None:
        self._seen += 1
        if keys is None:  # the database was flushed
            self._forget_all()
            return
        for key in keys:
            # A page's hash and its generation key are one entry here.
            self._forget(key.decode().removesuffix(":generation"))

    def _connect(self) -> bool:
        if not self._supported or time.monotonic() < self._reconnect_at:
            return False
        self._reconnect_at = time.monotonic() + RECONNECT_SECONDS
        # Its own connection, never in the pool: tracking lives as long as it does.
        # RESP2, where the messages come as a subscription.
        connection = dedicated_connection(self._redis, protocol=2)
        try:
            connection.connect()
            connection.send_command("CLIENT", "ID")
            own_id = connection.read_response()
            connection.send_command(
                "CLIENT", "TRACKING", "ON", "REDIRECT", own_id, "BCAST", "PREFIX", self._prefix
            )
            connection.read_response()
            connection.send_command("SUBSCRIBE", "__redis__:invalidate")
            connection.read_response()
        except ResponseError as exc:
            self._supported = False
            log.warning("this Redis cannot track keys (%s): every read asks it", exc)
            connection.disconnect()
            return False
        except (RedisError, OSError):
            connection.disconnect()
            return False
        self._connection = connection
        # Whatever changed while nobody listened is unknown: start from nothing.
        self._forget_all()
        return True

    def _forget(self, key: str) -> None:
        for trusted in self._trusted.values():
            trusted.pop(key, None)

    def _forget_all(self) -> None:
        self._seen += 1
        self._trusted.clear()

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection.disconnect()
            self._connection = None
        self._forget_all()
