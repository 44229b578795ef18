"""The one place that answers an article's thread and its counts.

Nearly every request a comment service gets is one of these two reads, and nearly
every one is answered from the cache. ``thread`` and ``counts`` build the whole
answer (status, headers, body) from the query: parse and check it, ask the cache,
which answers or builds from the database. The Flask views answer with them, and
so does ``ReadShortcut``, a WSGI layer that calls them before Flask dispatches
(routing, request context and hooks cost more than the read itself). Whatever the
shortcut cannot answer (a bad query raises) goes on to Flask, whose view raises the
same error into the one envelope. The request id, CORS headers, log line and metric
of both are added by the layer outside them (``requestlog.EveryAnswer``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import orjson
from marshmallow import EXCLUDE
from sqlalchemy.orm import Session
from werkzeug.http import parse_etags, quote_etag

from commentsvc.comments import services
from commentsvc.comments.schemas import CountsQuerySchema, ThreadQuerySchema
from commentsvc.store.cache import ThreadCache
from commentsvc.web.requestlog import ENDPOINT, WSGIApp

THREAD_PATH = "/api/v1/comments"
COUNTS_PATH = "/api/v1/counts"
THREAD_ENDPOINT = "comments.list_comments"
COUNTS_ENDPOINT = "comments.counts"
JSON = ("Content-Type", "application/json")
# Always revalidate: a newly approved comment shows on the next view.
REVALIDATE = ("Cache-Control", "no-cache")

_thread_query = ThreadQuerySchema(unknown=EXCLUDE)
_counts_query = CountsQuerySchema(unknown=EXCLUDE)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


# Parsing and checking a query is pure, and the same queries come again and again:
# they are remembered, the short ones only, so that memory stays small (a few MB)
# whatever readers send.
MEMO_CHARS = 4096
_memo = lru_cache(maxsize=512)


def _remembered(function: Any, size: int, *arguments: Any) -> Any:
    return function(*arguments) if size <= MEMO_CHARS else function.__wrapped__(*arguments)


def article_urls(query_string: str) -> tuple[str, ...]:
    """Every ``url`` parameter of a raw (WSGI, latin-1) query string, blank ones too."""
    urls: tuple[str, ...] = _remembered(_article_urls, len(query_string), query_string)
    return urls


@_memo
def _article_urls(query_string: str) -> tuple[str, ...]:
    query = query_string.encode("latin-1").decode("utf-8", "replace")
    return tuple(value for name, value in parse_qsl(query, keep_blank_values=True) if name == "url")


@_memo
def _thread_url(first: str | None, sites: tuple[str, ...]) -> str:
    """The normalised article address. Raises (and nothing is remembered) when it is
    bad (ValidationError) or not on one of the sites (Forbidden)."""
    url: str = _thread_query.load({} if first is None else {"url": first})["url"]
    services.check_site(sites, url)
    return url


@_memo
def _counts_urls(asked: tuple[str, ...], sites: tuple[str, ...]) -> tuple[str, ...]:
    normalised = tuple(_counts_query.load({"url": list(asked)})["url"])
    for url in set(normalised):
        services.check_site(sites, url)
    return normalised


@dataclass(frozen=True)
class Reads:
    cache: ThreadCache
    sites: tuple[str, ...]

    def thread(self, environ: dict[str, Any], sessions: Callable[[], Session]) -> Answer:
        asked = article_urls(environ.get("QUERY_STRING", ""))
        first = asked[0] if asked else None
        url: str = _remembered(_thread_url, len(first or ""), first, self.sites)
        # The one ETag a reader's browser sends back; the cache answers it without the body.
        known = next(iter(parse_etags(environ.get("HTTP_IF_NONE_MATCH"))), "")
        page = services.public_page(sessions, self.cache, url, known)
        headers = [("ETag", quote_etag(page.etag)), REVALIDATE]
        if page.body is None:
            return Answer(304, headers, b"")
        return Answer(200, [JSON, *headers], page.body)

    def counts(self, asked: tuple[str, ...], sessions: Callable[[], Session]) -> Answer:
        """``asked``: the article addresses as the reader gave them (GET or POST)."""
        size = sum(map(len, asked))
        normalised: tuple[str, ...] = _remembered(_counts_urls, size, asked, self.sites)
        found = services.count_approved(sessions, self.cache, list(normalised))
        counts = {url: found[norm] for url, norm in zip(asked, normalised, strict=True)}
        return Answer(200, [JSON], orjson.dumps({"counts": counts}))


class _Session:
    """A database session opened only if the read misses the cache."""

    def __init__(self, factory: Callable[[], Session]) -> None:
        self.factory = factory
        self.session: Session | None = None

    def __call__(self) -> Session:
        if self.session is None:
            self.session = self.factory()
        return self.session

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


_STATUS = {200: "200 OK", 304: "304 NOT MODIFIED"}


class ReadShortcut:
    def __init__(self, app: WSGIApp, reads: Reads, sessions: Callable[[], Session]) -> None:
        self.app = app
        self.reads = reads
        self.sessions = sessions

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "GET":
            return self.app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if path == THREAD_PATH:
            endpoint = THREAD_ENDPOINT
        elif path == COUNTS_PATH:
            endpoint = COUNTS_ENDPOINT
        else:
            return self.app(environ, start_response)
        session = _Session(self.sessions)
        try:
            if endpoint == THREAD_ENDPOINT:
                answer = self.reads.thread(environ, session)
            else:
                answer = self.reads.counts(article_urls(environ.get("QUERY_STRING", "")), session)
        except Exception:  # noqa: BLE001 - Flask's view raises it again, into the envelope
            return self.app(environ, start_response)
        finally:
            session.close()
        environ[ENDPOINT] = endpoint
        start_response(_STATUS[answer.status], [*answer.headers, *_length(answer)])
        return [answer.body]


def _length(answer: Answer) -> list[tuple[str, str]]:
    # As werkzeug does: a 304 has no length, every other answer has its own.
    return [] if answer.status == 304 else [("Content-Length", str(len(answer.body)))]
