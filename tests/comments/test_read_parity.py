"""The pre-dispatch shortcut and the Flask views answer every read alike: status,
every header and the body, for cache misses, hits, local copies, 304s, bad queries
and other sites."""

from __future__ import annotations

from typing import Any

import pytest
from flask import request, request_started
from werkzeug.test import Client

from commentsvc.web.requestlog import EveryAnswer
from tests.conftest import ARTICLE, SITE, RedisServer

OTHER = f"{SITE}/2026/no-comments-yet"
THREAD_QUERIES = [
    [("url", ARTICLE)],
    [("url", ARTICLE + "?utm_source=feed")],
    [("url", OTHER)],
    [("url", ""), ("url", ARTICLE)],
    [("url", ARTICLE), ("url", "")],
    [("url", "")],
    [],
    [("url", "not an address")],
    [("url", "https://elsewhere.example/article")],
]
COUNTS_QUERIES = [
    [("url", ARTICLE)],
    [("url", ARTICLE), ("url", OTHER), ("url", ARTICLE)],
    [("url", ""), ("url", ARTICLE)],
    [("url", f"{SITE}/{n}") for n in range(100)],
    [("url", f"{SITE}/{n}") for n in range(101)],
    [],
    [("url", "ftp://blog.example.com/x")],
    [("url", ARTICLE), ("url", "https://elsewhere.example/article")],
]
HEADERS = [
    {},
    {"Origin": SITE},
    {"Origin": "https://evil.example"},
]


@pytest.fixture
def two_ways(app: Any, post_comment: Any, approve: Any) -> tuple[Client, Client]:
    """The app as served (shortcut first), and the same app with Flask answering."""
    for n in range(3):
        approve(post_comment(body=f"comment {n}").json["id"])
    served = app.wsgi_app
    assert isinstance(served, EveryAnswer)
    flask_only = EveryAnswer(served.app.app, served.sites)  # without the shortcut
    return Client(served), Client(flask_only)


def forget_cached(app: Any, redis: Any) -> None:
    keys = redis.keys("commentsvc:thread:*")
    if keys:
        redis.delete(*keys)  # and Redis tells every worker its copies are stale
    app.extensions["commentsvc"].cache.copies.pages.clear()


def answer(client: Client, path: str, query: Any, headers: dict[str, str], reads: int) -> Any:
    for _ in range(reads):
        response = client.get(path, query_string=query, headers=headers)
    return response


def seen(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted(response.headers.items()), response.get_data()


@pytest.mark.parametrize("reads", [1, 2, 3], ids=["miss", "from redis", "from the copy"])
@pytest.mark.parametrize(
    ("path", "query"),
    [("/api/v1/comments", q) for q in THREAD_QUERIES]
    + [("/api/v1/counts", q) for q in COUNTS_QUERIES],
)
def test_the_shortcut_and_the_view_answer_alike(
    app: Any, two_ways: tuple[Client, Client], redis_server: RedisServer,
    path: str, query: Any, reads: int,
) -> None:  # fmt: skip
    redis = redis_server.client()
    served, flask_only = two_ways
    for headers in HEADERS:
        headers = {**headers, "X-Request-ID": "parity"}
        forget_cached(app, redis)
        shortcut = answer(served, path, query, headers, reads)
        forget_cached(app, redis)
        view = answer(flask_only, path, query, headers, reads)

        assert seen(shortcut) == seen(view)


def test_a_304_is_the_same_both_ways(
    app: Any, two_ways: tuple[Client, Client], redis_server: RedisServer
) -> None:
    served, flask_only = two_ways
    etag = served.get("/api/v1/comments", query_string={"url": ARTICLE}).headers["ETag"]
    for current in (etag, '"stale"', f'W/{etag}, "other"'):
        headers = {"If-None-Match": current, "X-Request-ID": "parity", "Origin": SITE}
        for reads in (1, 2, 3):
            forget_cached(app, redis_server.client())
            shortcut = answer(served, "/api/v1/comments", {"url": ARTICLE}, headers, reads)
            forget_cached(app, redis_server.client())
            view = answer(flask_only, "/api/v1/comments", {"url": ARTICLE}, headers, reads)

            assert seen(shortcut) == seen(view)
            assert shortcut.status_code == (304 if current == etag else 200)


def test_a_blank_url_before_a_real_one_is_422_cached_or_not(client: Any) -> None:
    client.get("/api/v1/comments", query_string={"url": ARTICLE})  # cached now
    client.get("/api/v1/counts", query_string={"url": ARTICLE})
    for path in ("/api/v1/comments", "/api/v1/counts"):
        answer = client.get(path, query_string=[("url", ""), ("url", ARTICLE)])

        assert answer.status_code == 422
        assert answer.json["error"]["fields"]["url"]


def test_reads_are_answered_before_flask_dispatches(
    app: Any, client: Any, post_comment: Any, approve: Any
) -> None:
    """What the parity above compares is a real shortcut: good reads, hits or
    misses, never reach Flask; a bad query does (for its error envelope)."""
    approve(post_comment().json["id"])
    dispatched: list[str] = []

    def note(_sender: Any, **_extra: Any) -> None:
        dispatched.append(request.path)

    with request_started.connected_to(note, app):
        for _ in range(3):
            client.get("/api/v1/comments", query_string={"url": ARTICLE})
            client.get("/api/v1/counts", query_string=[("url", ARTICLE), ("url", OTHER)])
        assert dispatched == []
        client.get("/api/v1/counts", query_string={"url": ""})

    assert dispatched == ["/api/v1/counts"]
