"""The hot path: reading an article's comments and counts, answered from the
Redis cache before Flask dispatches anything.

Nearly every request a comment service gets is one of these two, and nearly every
one of them is a cache hit. This WSGI middleware answers those hits with one
Redis round trip and the same answer the Flask views give (body, ETag and 304,
caching and CORS headers, request id, log line, latency metric). Anything else
— a miss, a malformed query, Redis down — goes on to Flask untouched, where the
views validate, read the database and fill the cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

import orjson
from redis.exceptions import RedisError
from werkzeug.http import parse_etags, quote_etag

from commentsvc.comments.urls import InvalidURL, normalize_article_url
from commentsvc.store.cache import ThreadCache
from commentsvc.web.cors import allowed_origin, cors_headers
from commentsvc.web.requestlog import HEADER, record, request_id

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MAX_COUNTS = 100  # as CountsQuerySchema allows
JSON = ("Content-Type", "application/json")
NOSNIFF = ("X-Content-Type-Options", "nosniff")  # as web.headers adds to Flask's answers


@lru_cache(maxsize=2048)  # pure; the same queries come again and again
def articles_asked(query: str) -> tuple[tuple[str, str], ...] | None:
    """The ``url`` parameters of a query string, each with its normalised form;
    None when one is not an article address (Flask then answers 422)."""
    try:
        return tuple((url, normalize_article_url(url)) for url in parse_qs(query).get("url", ()))
    except InvalidURL:
        return None


class CachedReads:
    def __init__(self, app: WSGIApp, cache: ThreadCache, sites: tuple[str, ...]) -> None:
        self.app = app
        self.cache = cache
        self.sites = sites

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "GET":
            started = time.perf_counter()
            path = environ.get("PATH_INFO", "")
            try:
                if path == "/api/v1/comments":
                    answer = self._thread(environ)
                elif path == "/api/v1/counts":
                    answer = self._counts(environ)
                else:
                    answer = None
            except (RedisError, InvalidURL, ValueError):
                answer = None  # Flask answers: the error envelope, or from the database
            if answer is not None:
                return self._respond(environ, start_response, started, *answer)
        return self.app(environ, start_response)

    def _thread(
        self, environ: dict[str, Any]
    ) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
        urls = parse_qs(environ.get("QUERY_STRING", "")).get("url")
        if not urls:
            return None
        known = next(iter(parse_etags(environ.get("HTTP_IF_NONE_MATCH"))), "")
        page = self.cache.page(normalize_article_url(urls[0]), known)
        if page.etag is None:
            return None
        headers = [("ETag", quote_etag(page.etag)), ("Cache-Control", "no-cache")]
        if page.body is None:
            return "comments.list_comments", "304 NOT MODIFIED", headers, b""
        return "comments.list_comments", "200 OK", [JSON, *headers], page.body

    def _counts(
        self, environ: dict[str, Any]
    ) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
        asked = articles_asked(environ.get("QUERY_STRING", ""))
        if not asked or len(asked) > MAX_COUNTS:
            return None
        found, _generations = self.cache.counts([normalised for _url, normalised in asked])
        if len(found) < len({normalised for _url, normalised in asked}):
            return None
        counts = {url: found[normalised] for url, normalised in asked}
        return "comments.counts", "200 OK", [JSON], orjson.dumps({"counts": counts})

    def _respond(self, environ: dict[str, Any], start_response: Callable[..., Any], started: float,
                 endpoint: str, status: str, headers: list[tuple[str, str]],
                 body: bytes) -> Iterable[bytes]:  # fmt: skip
        path = environ["PATH_INFO"]
        identifier = request_id(environ.get("HTTP_X_REQUEST_ID"))
        headers += [("Content-Length", str(len(body))), ("Vary", "Origin"), (HEADER, identifier),
                    NOSNIFF]  # fmt: skip
        origin = allowed_origin(environ.get("HTTP_ORIGIN"), path, self.sites)
        if origin is not None:
            headers += cors_headers(origin)
        start_response(status, headers)
        record("GET", path, endpoint, int(status[:3]), time.perf_counter() - started,
               identifier, environ.get("REMOTE_ADDR"))  # fmt: skip
        return [body]
