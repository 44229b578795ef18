"""The moderation queue: a Redis Stream read through one consumer group.

Each moderator is a consumer. Reading the queue claims entries for the caller
(XREADGROUP), an entry claimed and left undecided for longer than the lease goes
to the next moderator who reads (XAUTOCLAIM), and a decision acknowledges and
removes it (XACK + XDEL).

A hash maps comment id -> stream entry id. It makes pushing idempotent (the
requeue sweep can push every pending comment again without doubles) and lets a
decision find the entry of its comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import ResponseError

from commentsvc.moderation import live
from commentsvc.store.redis_failures import required

STREAM = "commentsvc:moderation"
ENTRIES = "commentsvc:moderation:entries"
GROUP = "moderators"

# Atomic: a comment is on the stream at most once, and the group always exists
# (also right after Redis came back empty). Open moderation pages hear of it in the
# same step (ARGV[3]: the live events' channel), without another round trip.
_PUSH = """
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return existing end
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[2], '0', 'MKSTREAM')
local entry = redis.call('XADD', KEYS[1], '*', 'comment_id', ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], entry)
redis.call('PUBLISH', ARGV[3], '{"event":"pending","id":' .. tonumber(ARGV[1]) .. '}')
return entry
"""

_REMOVE = """
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry then return 0 end
redis.call('XACK', KEYS[1], ARGV[2], entry)
redis.call('XDEL', KEYS[1], entry)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""


@dataclass(frozen=True)
class Claim:
    comment_id: int


class ModerationQueue:
    def __init__(self, redis: Redis, lease_seconds: float) -> None:
        self.redis = redis
        self.lease_ms = max(1, int(lease_seconds * 1000))
        self._push = redis.register_script(_PUSH)
        self._remove = redis.register_script(_REMOVE)

    def push(self, comment_id: int) -> str:
        entry = self._push(keys=[STREAM, ENTRIES], args=[comment_id, GROUP, live.CHANNEL])
        return entry.decode() if isinstance(entry, bytes) else str(entry)

    def remove(self, comment_id: int) -> bool:
        return bool(self._remove(keys=[STREAM, ENTRIES], args=[comment_id, GROUP]))

    def missing(self, comment_ids: list[int]) -> list[int]:
        """The ids of these comments that are not on the queue."""
        if not comment_ids:
            return []
        entries = self.redis.hmget(ENTRIES, comment_ids)
        return [cid for cid, entry in zip(comment_ids, entries, strict=True) if entry is None]

    @required("moderation queue claim", "The moderation queue")
    def claim(self, consumer: str, limit: int) -> list[Claim]:
        """Up to ``limit`` entries for this consumer: the ones it already holds (their
        lease starts again), then ones whose lease ran out, then new ones."""
        self._ensure_group()
        claims = self._held(consumer, limit)
        if len(claims) < limit:
            claims += self._expired(consumer, limit - len(claims))
        if len(claims) < limit:
            claims += self._new(consumer, limit - len(claims))
        return claims

    def length(self) -> int:
        return int(self.redis.xlen(STREAM))

    def oldest_entry_ms(self) -> int | None:
        """Milliseconds since the epoch when the oldest entry was queued."""
        first: Any = self.redis.xrange(STREAM, count=1)
        if not first:
            return None
        return int(_text(first[0][0]).split("-")[0])

    def _ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _held(self, consumer: str, limit: int) -> list[Claim]:
        pending: Any = self.redis.xpending_range(
            STREAM, GROUP, min="-", max="+", count=limit, consumername=consumer
        )
        ids: list[Any] = [item["message_id"] for item in pending]
        if not ids:
            return []
        return _claims(self.redis.xclaim(STREAM, GROUP, consumer, min_idle_time=0, message_ids=ids))

    def _expired(self, consumer: str, limit: int) -> list[Claim]:
        claims: list[Claim] = []
        cursor = "0-0"
        while len(claims) < limit:
            answer: Any = self.redis.xautoclaim(
                STREAM, GROUP, consumer, self.lease_ms, start_id=cursor, count=limit - len(claims)
            )
            cursor, entries = _text(answer[0]), answer[1]
            claims += _claims(entries)
            if cursor == "0-0":
                break
        return claims

    def _new(self, consumer: str, limit: int) -> list[Claim]:
        answer: Any = self.redis.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=limit)
        return [claim for _stream, entries in answer or [] for claim in _claims(entries)]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _claims(entries: list[Any]) -> list[Claim]:
    claims = []
    for _entry_id, fields in entries:
        if not fields:  # deleted while pending
            continue
        comment_id = fields.get(b"comment_id") or fields.get("comment_id")
        claims.append(Claim(int(comment_id)))
    return claims
