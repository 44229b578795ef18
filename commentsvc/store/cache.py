"""Each article's public page of comments and its count, kept ready in Redis: a
loading cache. Callers ask ``page(url, build)`` and ``counts(urls, count_missing)``
and say what changed with ``invalidate(url)``; everything else stays in here.

Per article, a hash holds the page (``etag``, ``body``) and the ``count`` of
approved comments, stamped with the article's generation (``g``). A decision bumps
the generation (``invalidate``); an entry whose stamp is not the current generation
is a miss. What was built from the database is stored only if the generation read
*before* building is still current, so a page built before a decision can never be
stored as current after it. Entries also expire after ``ttl`` seconds: the longest
anything can be stale if an invalidation was lost with Redis itself.

Only articles that exist are stored: ``build`` and ``count_missing`` say whether
the article has a thread in the database, and one that has none is answered
(empty, or 0) without a key in Redis. Reads of made-up addresses cannot grow Redis.

Each worker keeps copies of what it read, and answers from them without a round
trip while Redis' invalidation messages say they are current (``invalidations``).
A Redis that fails is survived: the answer is built from the database.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from redis import Redis

from commentsvc.store.invalidations import Invalidations
from commentsvc.store.redis_failures import tolerated

_PREFIX = "commentsvc:thread:"
# The longest a worker answers from its copies without hearing from Redis, should
# its connection for invalidation messages be cut unnoticed.
TRUST_SECONDS = 5.0

# Lua answers are flat lists of name, value pairs (``_named`` reads them), so that
# the Python side reads fields by name, never by position.

# KEYS: hash, generation key. ARGV: the reader's ETag, this process's copy's ETag.
# The body is sent only when neither has the current ETag.
_GET_PAGE = """
local generation = redis.call('GET', KEYS[2]) or '0'
local page = redis.call('HMGET', KEYS[1], 'g', 'etag')
if page[1] ~= generation or not page[2] then return {'generation', generation} end
local answer = {'generation', generation, 'etag', page[2]}
if page[2] == ARGV[1] then return answer end
if page[2] == ARGV[2] then
  answer[5], answer[6] = 'copy_is_current', '1'
  return answer
end
answer[5], answer[6] = 'body', redis.call('HGET', KEYS[1], 'body')
return answer
"""

_PUT_PAGE = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'g', ARGV[1], 'etag', ARGV[2], 'body', ARGV[3], 'count', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""

# KEYS: hash, generation key, for each article. Answers, for each, its own list of
# name, value pairs: the generation, and the count when it is cached.
_GET_COUNTS = """
local answer = {}
for i = 1, #KEYS, 2 do
  local generation = redis.call('GET', KEYS[i + 1]) or '0'
  local entry = redis.call('HMGET', KEYS[i], 'g', 'count')
  if entry[1] == generation and entry[2] then
    answer[#answer + 1] = {'generation', generation, 'count', entry[2]}
  else
    answer[#answer + 1] = {'generation', generation}
  end
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


def _named(reply: list[Any]) -> dict[bytes, Any]:
    return dict(zip(reply[::2], reply[1::2], strict=True))


@dataclass(frozen=True)
class _PageReply:
    """What ``_GET_PAGE`` answered."""

    generation: bytes
    etag: str | None  # None: no current page in Redis
    body: bytes | None  # only when neither the reader nor this process has it
    copy_is_current: bool

    @classmethod
    def decode(cls, reply: list[Any]) -> _PageReply:
        fields = _named(reply)
        etag = fields.get(b"etag")
        return cls(
            generation=fields[b"generation"],
            etag=etag.decode() if etag is not None else None,
            body=fields.get(b"body"),
            copy_is_current=b"copy_is_current" in fields,
        )


@dataclass(frozen=True)
class _CountReply:
    """What ``_GET_COUNTS`` answered for one article."""

    generation: bytes
    count: int | None  # None: not cached

    @classmethod
    def decode(cls, reply: list[Any]) -> _CountReply:
        fields = _named(reply)
        count = fields.get(b"count")
        return cls(generation=fields[b"generation"], count=int(count) if count else None)


@dataclass(frozen=True)
class BuiltPage:
    """What ``build`` gives ``ThreadCache.page``: the page, its count, and whether the
    article exists (has a thread in the database); only then is it stored in Redis."""

    body: bytes
    count: int
    exists: bool


@dataclass(frozen=True)
class Page:
    etag: str
    body: bytes | None  # None: the reader's If-None-Match is the current ETag


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


class _FillLocks:
    """One lock per article being built in this process, dropped when nobody holds it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[threading.Lock, int]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def holding(self, url: str) -> Iterator[bool]:
        """Hold the article's lock; yields whether another thread held it first (it
        has probably filled the cache meanwhile)."""
        with self._lock:
            lock, users = self._locks.get(url, (threading.Lock(), 0))
            self._locks[url] = (lock, users + 1)
        try:
            waited = not lock.acquire(blocking=False)
            if waited:
                lock.acquire()
            try:
                yield waited
            finally:
                lock.release()
        finally:
            with self._lock:
                lock, users = self._locks[url]
                if users == 1:
                    del self._locks[url]
                else:
                    self._locks[url] = (lock, users - 1)


class ThreadCache:
    def __init__(self, redis: Redis, ttl_seconds: int, local_bytes: int = 16 * 2**20) -> None:
        self.redis = redis
        self.ttl = max(1, ttl_seconds)
        self.copies = LocalCopies(local_bytes)
        self._fill_locks = _FillLocks()
        self.invalidations = Invalidations(redis, _PREFIX, min(float(self.ttl), TRUST_SECONDS))
        self._get_page = redis.register_script(_GET_PAGE)
        self._put_page = redis.register_script(_PUT_PAGE)
        self._get_counts = redis.register_script(_GET_COUNTS)
        self._put_counts = redis.register_script(_PUT_COUNTS)

    def page(self, url: str, build: Callable[[], BuiltPage], if_none_match: str = "") -> Page:
        """The current page of ``url``, without its body when ``if_none_match`` is its
        ETag. On a miss one thread of this process calls ``build`` and stores the page;
        the others wait for it and take its page from Redis: a popular article's first
        read after a decision runs its query once, not once per waiting reader."""
        seen = self.invalidations.listen()
        keys = _keys(url)
        copy = self.copies.get(url)
        trusted = seen is not None and copy is not None
        if trusted and copy and self.invalidations.trusted("page", keys[0]) == copy[0]:
            return Page(copy[0], None if copy[0] == if_none_match else copy[1])
        reply = self._read_page(url, keys, seen, copy, if_none_match)
        if isinstance(reply, Page):
            return reply
        if reply is None:  # Redis failed: nothing to store, nobody to wait for
            return self._answer(build(), if_none_match)
        with self._fill_locks.holding(url) as waited:
            if waited:
                seen = self.invalidations.listen()
                reply = self._read_page(url, keys, seen, self.copies.get(url), if_none_match)
                if isinstance(reply, Page):
                    return reply
            built = build()
            etag = etag_of(built.body)
            if reply is not None and built.exists:
                with tolerated("thread cache write", "built again on the next read"):
                    self._put_page(
                        keys=keys, args=[reply.generation, etag, built.body, built.count, self.ttl]
                    )
            if built.exists:
                self.copies.put(url, etag, built.body)
            elif reply is not None and seen is not None:
                # An article without a thread is kept here only, trusted until its
                # first decision (which bumps its generation key, and Redis says so).
                self.copies.put(url, etag, built.body)
                self.invalidations.trust(seen, "page", {keys[0]: etag})
            return Page(etag, None if etag == if_none_match else built.body)

    def _read_page(
        self,
        url: str,
        keys: tuple[str, str],
        seen: int | None,
        copy: tuple[str, bytes] | None,
        if_none_match: str,
    ) -> Page | _PageReply | None:
        """The page when Redis holds it, else Redis' reply (the generation to store
        under), or None when Redis failed."""
        with tolerated("thread cache read", "answered from the database"):
            reply = _PageReply.decode(
                self._get_page(keys=keys, args=[if_none_match, copy[0] if copy else ""])
            )
            if reply.etag is None:
                return reply
            self.invalidations.trust(seen, "page", {keys[0]: reply.etag})
            if reply.body is not None:
                self.copies.put(url, reply.etag, reply.body)
                return Page(reply.etag, reply.body)
            if reply.copy_is_current and copy is not None:
                return Page(reply.etag, copy[1])
            return Page(reply.etag, None)
        return None

    @staticmethod
    def _answer(built: BuiltPage, if_none_match: str) -> Page:
        etag = etag_of(built.body)
        return Page(etag, None if etag == if_none_match else built.body)

    def counts(
        self, urls: list[str], count_missing: Callable[[list[str]], dict[str, int]]
    ) -> dict[str, int]:
        """Approved comments per article. ``count_missing`` counts those the cache does
        not hold, in one go, and answers only the articles that exist; the others have
        0 comments and no key in Redis."""
        asked = list(dict.fromkeys(urls))
        seen = self.invalidations.listen()
        if seen is not None:
            trusted = {url: self.invalidations.trusted("count", _keys(url)[0]) for url in asked}
            if None not in trusted.values():
                return trusted
        replies: dict[str, _CountReply] = {}
        with tolerated("count cache read", "counted in the database"):
            answer = self._get_counts(keys=[key for url in asked for key in _keys(url)], args=[])
            replies = dict(zip(asked, map(_CountReply.decode, answer), strict=True))
        found = {url: reply.count for url, reply in replies.items() if reply.count is not None}
        missing = [url for url in asked if url not in found]
        if missing:
            counted = count_missing(missing)
            fill = {
                url: (replies[url].generation, counted[url]) for url in counted if url in replies
            }
            if fill:
                with tolerated("count cache write", "counted again on the next read"):
                    args = [value for pair in fill.values() for value in pair]
                    keys = [key for url in fill for key in _keys(url)]
                    self._put_counts(keys=keys, args=[*args, self.ttl])
            found.update({url: counted.get(url, 0) for url in missing})
        if replies:
            # Unknown articles' zeros too: their first approval bumps the generation.
            self.invalidations.trust(seen, "count", {_keys(url)[0]: found[url] for url in asked})
        return found

    def invalidate(self, url: str) -> None:
        """The article's page and count changed (a decision, an edit)."""
        page_key, generation_key = _keys(url)
        # Should this fail, the entries still expire after COMMENTSVC_THREAD_CACHE_SECONDS.
        with (
            tolerated("thread cache invalidation", "stale until the cache lifetime ends"),
            self.redis.pipeline() as pipe,
        ):
            pipe.incr(generation_key)
            pipe.delete(page_key)
            pipe.execute()
        # Its message is on the way too (if Redis is up); this worker need not wait.
        self.invalidations.forget(page_key)

    def close(self) -> None:
        self.invalidations.close()
