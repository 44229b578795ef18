"""Each article's public page of comments and its count, kept ready in Redis.

Per article, a hash holds the page (``etag``, ``body``) and the ``count`` of
approved comments, stamped with the article's generation (``g``). A decision bumps
the generation (``invalidate``); an entry whose stamp is not the current generation
is a miss. A reader stores what it built from the database only if the generation
it read *before* querying is still current, so a page built before a decision can
never be stored as current after it. Entries also expire after ``ttl`` seconds:
the longest anything can be stale if an invalidation was lost with Redis itself.

Each worker keeps copies of what it read, and answers from them without a round
trip while Redis' invalidation messages say they are current (``invalidations``).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from redis import Redis

from commentsvc.store.invalidations import Invalidations

_PREFIX = "commentsvc:thread:"
# The longest a worker answers from its copies without hearing from Redis, should
# its connection for invalidation messages be cut unnoticed.
TRUST_SECONDS = 5.0

# One round trip. The body is sent only when neither the reader (ARGV[1]) nor this
# process's copy (ARGV[2]) has the current ETag; 1 in its place means: the copy is.
_GET_PAGE = """
local generation = redis.call('GET', KEYS[2]) or '0'
local page = redis.call('HMGET', KEYS[1], 'g', 'etag')
if page[1] ~= generation or not page[2] then return {generation} end
if page[2] == ARGV[1] then return {generation, page[2]} end
if page[2] == ARGV[2] then return {generation, page[2], 1} end
return {generation, page[2], redis.call('HGET', KEYS[1], 'body')}
"""

_PUT_PAGE = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'g', ARGV[1], 'etag', ARGV[2], 'body', ARGV[3], 'count', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""

# KEYS: hash, generation key, for each article. Answers generation, count ('' if
# not cached) for each: an empty string, not nil, which would end a Lua table.
_GET_COUNTS = """
local answer = {}
for i = 1, #KEYS, 2 do
  local generation = redis.call('GET', KEYS[i + 1]) or '0'
  local entry = redis.call('HMGET', KEYS[i], 'g', 'count')
  answer[#answer + 1] = generation
  answer[#answer + 1] = (entry[1] == generation and entry[2]) or ''
end
return answer
"""

# ARGV: generation, count for each article, then the ttl.
_PUT_COUNTS = """
local ttl = ARGV[#ARGV]
for i = 1, #KEYS, 2 do
  local generation = ARGV[i]
  if (redis.call('GET', KEYS[i + 1]) or '0') == generation then
    if redis.call('HGET', KEYS[i], 'g') ~= generation then redis.call('DEL', KEYS[i]) end
    redis.call('HSET', KEYS[i], 'g', generation, 'count', ARGV[i + 1])
    redis.call('EXPIRE', KEYS[i], ttl)
  end
end
return 1
"""


@dataclass(frozen=True)
class CachedPage:
    generation: bytes
    etag: str | None = None
    body: bytes | None = None


def etag_of(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=12).hexdigest()


@lru_cache(maxsize=4096)
def _keys(url: str) -> tuple[str, str]:
    digest = hashlib.blake2b(url.encode(), digest_size=16).hexdigest()
    return _PREFIX + digest, _PREFIX + digest + ":generation"


class LocalCopies:
    """This process's copies of pages it has served, by URL, least recently used out.

    Only a copy: a copy is used only when it has the ETag Redis holds as current
    (asked, or trusted until Redis says otherwise), so every process serves the same
    page. It spares sending a large page from Redis on each read."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.pages: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, url: str) -> tuple[str, bytes] | None:
        with self.lock:
            copy = self.pages.get(url)
            if copy is not None:
                self.pages.move_to_end(url)
            return copy

    def put(self, url: str, etag: str, body: bytes) -> None:
        if len(body) > self.max_bytes // 4:
            return
        with self.lock:
            old = self.pages.pop(url, None)
            if old is not None:
                self.size -= len(old[1])
            self.pages[url] = (etag, body)
            self.size += len(body)
            while self.size > self.max_bytes:
                _url, (_etag, dropped) = self.pages.popitem(last=False)
                self.size -= len(dropped)


class ThreadCache:
    def __init__(self, redis: Redis, ttl_seconds: int, local_bytes: int = 16 * 2**20) -> None:
        self.redis = redis
        self.ttl = max(1, ttl_seconds)
        self.copies = LocalCopies(local_bytes)
        self._filling: dict[str, tuple[threading.Lock, int]] = {}
        self._filling_lock = threading.Lock()
        self.invalidations = Invalidations(redis, _PREFIX, min(float(self.ttl), TRUST_SECONDS))
        self._get_page = redis.register_script(_GET_PAGE)
        self._put_page = redis.register_script(_PUT_PAGE)
        self._get_counts = redis.register_script(_GET_COUNTS)
        self._put_counts = redis.register_script(_PUT_COUNTS)

    def page(self, url: str, if_none_match: str = "") -> CachedPage:
        """The current page; without its body when ``if_none_match`` is its ETag."""
        seen = self.invalidations.listen()
        keys = _keys(url)
        copy = self.copies.get(url)
        if (
            seen is not None
            and copy is not None
            and self.invalidations.trusted("page", keys[0]) == copy[0]
        ):
            return CachedPage(b"", copy[0], None if copy[0] == if_none_match else copy[1])
        answer = self._get_page(keys=keys, args=[if_none_match, copy[0] if copy else ""])
        if len(answer) < 2:
            return CachedPage(answer[0])
        etag = answer[1].decode()
        self.invalidations.trust(seen, "page", {keys[0]: etag})
        if len(answer) < 3:
            return CachedPage(answer[0], etag)
        if answer[2] == 1 and copy is not None:
            return CachedPage(answer[0], etag, copy[1])
        self.copies.put(url, etag, answer[2])
        return CachedPage(answer[0], etag, answer[2])

    def put_page(self, url: str, generation: bytes, etag: str, body: bytes, count: int) -> None:
        self._put_page(keys=_keys(url), args=[generation, etag, body, count, self.ttl])
        self.copies.put(url, etag, body)

    def counts(self, urls: list[str]) -> tuple[dict[str, int], dict[str, bytes]]:
        """Cached counts, and the generation of every article asked for (none when
        every count was trusted: there is nothing to fill)."""
        seen = self.invalidations.listen()
        if seen is not None:
            trusted = {url: self.invalidations.trusted("count", _keys(url)[0]) for url in urls}
            if None not in trusted.values():
                return trusted, {}
        keys = [key for url in urls for key in _keys(url)]
        answer = self._get_counts(keys=keys, args=[])
        found, generations = {}, {}
        for index, url in enumerate(urls):
            generation, count = answer[2 * index], answer[2 * index + 1]
            generations[url] = generation
            if count != b"":
                found[url] = int(count)
        self.invalidations.trust(seen, "count", {_keys(url)[0]: found[url] for url in found})
        return found, generations

    def put_counts(self, counts: dict[str, tuple[bytes, int]]) -> None:
        keys = [key for url in counts for key in _keys(url)]
        args = [value for generation, count in counts.values() for value in (generation, count)]
        self._put_counts(keys=keys, args=[*args, self.ttl])

    def invalidate(self, url: str) -> None:
        page_key, generation_key = _keys(url)
        try:
            with self.redis.pipeline() as pipe:
                pipe.incr(generation_key)
                pipe.delete(page_key)
                pipe.execute()
        finally:
            # Its message is on the way too (if Redis is up); this worker need not wait.
            self.invalidations.forget(page_key)

    @contextmanager
    def filling(self, url: str) -> Iterator[None]:
        """Held while this process builds the page of ``url``."""
        with self._filling_lock:
            lock, users = self._filling.get(url, (threading.Lock(), 0))
            self._filling[url] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._filling_lock:
                lock, users = self._filling[url]
                if users == 1:
                    del self._filling[url]
                else:
                    self._filling[url] = (lock, users - 1)

    def close(self) -> None:
        self.invalidations.close()
