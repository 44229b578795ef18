"""Each article's public page of comments, kept ready in Redis.

The page is stored with the thread's generation number; a decision bumps the
generation (``invalidate``), so a page built from the database before the
decision can never be stored as current after it. Entries also expire after
``ttl`` seconds: the longest a page can be stale if an invalidation was lost
with Redis itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis import Redis

_PREFIX = "commentsvc:thread:"

# One round trip: the cached page if it belongs to the current generation, else
# the current generation alone (the reader builds the page and stores it with it).
_GET = """
local generation = redis.call('GET', KEYS[2]) or '0'
local page = redis.call('HMGET', KEYS[1], 'generation', 'etag', 'body')
if page[1] == generation then return {generation, page[2], page[3]} end
return {generation}
"""

_PUT = """
local generation = redis.call('GET', KEYS[2]) or '0'
if generation ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'generation', ARGV[1], 'etag', ARGV[2], 'body', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""


@dataclass(frozen=True)
class CachedPage:
    generation: bytes
    etag: str | None = None
    body: bytes | None = None


def etag_of(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=12).hexdigest()


class ThreadCache:
    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl = max(1, ttl_seconds)
        self._get = redis.register_script(_GET)
        self._put = redis.register_script(_PUT)

    @staticmethod
    def _keys(url: str) -> list[str]:
        digest = hashlib.blake2b(url.encode(), digest_size=16).hexdigest()
        return [_PREFIX + digest, _PREFIX + digest + ":generation"]

    def get(self, url: str) -> CachedPage:
        answer = self._get(keys=self._keys(url))
        if len(answer) == 3:
            return CachedPage(answer[0], answer[1].decode(), answer[2])
        return CachedPage(answer[0])

    def put(self, url: str, generation: bytes, etag: str, body: bytes) -> None:
        self._put(keys=self._keys(url), args=[generation, etag, body, self.ttl])

    def invalidate(self, url: str) -> None:
        page_key, generation_key = self._keys(url)
        with self.redis.pipeline() as pipe:
            pipe.incr(generation_key)
            pipe.delete(page_key)
            pipe.execute()
