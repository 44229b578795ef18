"""Live moderation events, for every moderator's open page.

Events travel over Redis pub/sub, so every worker of every instance hears every
event: ``pending`` (a comment now waits: published by the queue's push script itself,
in the same step as the push, so posting makes no extra round trip), ``decided`` and
``deleted`` (published after the decision is committed, so another moderator's page
takes the comment off its screen).

Pub/sub is at most once: a page that was reconnecting misses what came meanwhile.
The page reloads its list whenever its stream opens, so nothing stays missed.

A stream holds one of the worker's few threads, so it answers for at most
``STREAM_SECONDS`` and ends; the client opens the next one at once (``retry``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import orjson
from redis import Redis
from redis.client import PubSub
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

CHANNEL = "commentsvc:moderation:events"
STREAM_SECONDS = 25.0
RETRY_MILLISECONDS = 1000
# A comment line now and then: proxies keep the connection, and a page that closed is
# noticed (and its thread freed) within these seconds, not only at the end.
KEEPALIVE_SECONDS = 5.0
POLL_SECONDS = 0.5


def publish(redis: Redis, event: str, **data: Any) -> None:
    """Tell every open moderation page; a failure only costs the live update."""
    try:
        redis.publish(CHANNEL, orjson.dumps({"event": event, **data}))
    except RedisError as exc:
        log.warning("live %s event not sent: %s", event, exc)


def subscribe(redis: Redis) -> PubSub:
    """Subscribed before the answer starts, so nothing published after it is missed
    (and a Redis that is down is a 503 envelope, not a broken stream)."""
    pubsub: PubSub = redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    pubsub.subscribe(CHANNEL)
    return pubsub


def server_sent_events(pubsub: PubSub, seconds: float = STREAM_SECONDS) -> Iterator[bytes]:
    """``text/event-stream``: ``event: NAME`` and ``data: {...}`` per event."""
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n: listening\n\n".encode()
        now = time.monotonic()
        deadline, keepalive = now + seconds, now + KEEPALIVE_SECONDS
        while (now := time.monotonic()) < deadline:
            try:
                message = pubsub.get_message(timeout=min(POLL_SECONDS, deadline - now))
            except RedisError as exc:
                log.warning("live moderation stream ended early: %s", exc)
                return
            if message is not None and message.get("type") == "message":
                yield _event(message["data"])
            elif now >= keepalive:
                keepalive = now + KEEPALIVE_SECONDS
                yield b": keepalive\n\n"
    finally:
        pubsub.close()


def _event(raw: bytes) -> bytes:
    data = orjson.loads(raw)
    event = str(data.pop("event", "message"))
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"
