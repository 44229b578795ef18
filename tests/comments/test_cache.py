"""The cached pages and counts: never stale after a decision, and stale for at most
COMMENTSVC_THREAD_CACHE_SECONDS even if an invalidation was lost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import event, update

from commentsvc.comments.models import Comment, CommentStatus
from commentsvc.store.cache import BuiltPage, ThreadCache
from tests.conftest import ARTICLE, SITE, RedisServer


def read(client: Any) -> tuple[list[int], int]:
    page = client.get("/api/v1/comments", query_string={"url": ARTICLE}).json
    count = client.get("/api/v1/counts", query_string={"url": ARTICLE}).json["counts"][ARTICLE]
    return [comment["id"] for comment in page["comments"]], count


def test_every_decision_shows_at_once_in_pages_and_counts(
    client: Any, post_comment: Any, approve: Any, auth: dict[str, str]
) -> None:
    first, second = (post_comment(body=f"c{n}").json["id"] for n in range(2))
    assert read(client) == ([], 0)  # both cached now

    approve(first)
    assert read(client) == ([first], 1)
    approve(second)
    assert read(client) == ([first, second], 2)
    approve(first, "spam")
    assert read(client) == ([second], 1)
    client.delete(f"/api/v1/moderation/comments/{second}", headers=auth)
    assert read(client) == ([], 0)


def test_counts_of_many_articles_mix_cached_and_fresh_ones(
    client: Any, post_comment: Any, approve: Any
) -> None:
    other = f"{SITE}/other"
    approve(post_comment().json["id"])
    query = [("url", ARTICLE), ("url", other)]
    assert client.get("/api/v1/counts", query_string=query).json["counts"] == {ARTICLE: 1, other: 0}

    approve(post_comment(url=other).json["id"])  # invalidates only the other article

    assert client.get("/api/v1/counts", query_string=query).json["counts"] == {ARTICLE: 1, other: 1}


def test_a_lost_invalidation_is_stale_for_at_most_the_cache_lifetime(
    make_app: Any, post_comment: Any, approve: Any, app: Any
) -> None:
    client = make_app(thread_cache_seconds=1).test_client()
    comment_id = post_comment().json["id"]
    approve(comment_id)
    assert read(client) == ([comment_id], 1)
    # A rejection written without the invalidation, as if Redis had lost it.
    with app.extensions["commentsvc"].database.sessions() as session:
        session.execute(
            update(Comment).where(Comment.id == comment_id).values(status=CommentStatus.REJECTED)
        )
        session.commit()
    assert read(client) == ([comment_id], 1)  # within the bound: still the cached page

    time.sleep(1.2)

    assert read(client) == ([], 0)


def test_a_cached_answer_is_the_same_as_the_first_one(
    client: Any, post_comment: Any, approve: Any
) -> None:
    """The first read is built by the views, the next ones come from the cache."""
    approve(post_comment().json["id"])
    headers = {"Origin": SITE}
    compared = ("Content-Type", "ETag", "Cache-Control", "Vary", "Access-Control-Allow-Origin")
    for path, query in (
        ("/api/v1/comments", {"url": ARTICLE}),
        ("/api/v1/counts", {"url": ARTICLE}),
    ):
        built = client.get(path, query_string=query, headers=headers)
        cached = client.get(path, query_string=query, headers=headers)

        assert (cached.status_code, cached.data) == (built.status_code, built.data)
        assert [cached.headers.get(h) for h in compared] == [built.headers.get(h) for h in compared]
        assert cached.headers["X-Request-ID"] != built.headers["X-Request-ID"]
    etag = (
        built.headers.get("ETag")
        or client.get("/api/v1/comments", query_string={"url": ARTICLE}).headers["ETag"]
    )
    not_modified = client.get(
        "/api/v1/comments", query_string={"url": ARTICLE}, headers={"If-None-Match": etag}
    )
    assert (not_modified.status_code, not_modified.data) == (304, b"")


def test_every_worker_serves_the_current_page_after_a_decision_elsewhere(
    make_app: Any, post_comment: Any, approve: Any
) -> None:
    """Each worker answers from its own copies; Redis tells every worker at once
    when one is no longer current."""
    first_worker, second_worker = (make_app().test_client() for _ in range(2))
    comment_id = post_comment().json["id"]
    approve(comment_id)
    for worker in (first_worker, second_worker):
        for _ in range(3):  # built, then read from Redis, then from the copy
            assert read(worker) == ([comment_id], 1)

    approve(comment_id, "reject")  # decided through a third app

    for worker in (first_worker, second_worker):
        assert read(worker) == ([], 0)


def cache_reads_in_redis(redis: Any) -> int:
    stats = redis.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))


def test_a_popular_page_is_answered_without_asking_redis_each_time(
    client: Any, post_comment: Any, approve: Any, redis_server: RedisServer
) -> None:
    approve(post_comment().json["id"])
    redis = redis_server.client()
    read(client)
    read(client)
    before = cache_reads_in_redis(redis)

    for _ in range(20):
        assert read(client)[1] == 1

    assert cache_reads_in_redis(redis) - before == 0


def test_copies_are_dropped_when_redis_restarts_empty(
    make_app: Any, post_comment: Any, approve: Any, redis_server_factory: Any, app: Any
) -> None:
    """Redis lost everything, including the news of a decision taken meanwhile: the
    worker trusts none of its copies until it hears from Redis again."""
    redis = redis_server_factory()
    client = make_app(redis_url=redis.url).test_client()
    comment_id = post_comment().json["id"]
    approve(comment_id)
    for _ in range(3):
        assert read(client) == ([comment_id], 1)

    redis.stop()
    with app.extensions["commentsvc"].database.sessions() as session:
        session.execute(
            update(Comment).where(Comment.id == comment_id).values(status=CommentStatus.REJECTED)
        )
        session.commit()
    assert read(client) == ([], 0)  # from the database while Redis is down
    redis.start()

    assert read(client) == ([], 0)
    assert read(client) == ([], 0)


def test_a_missing_page_is_built_once_however_many_readers_wait_for_it(
    app: Any, post_comment: Any, approve: Any
) -> None:
    for _ in range(3):
        approve(post_comment().json["id"])
    page_queries: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM comments" in statement and "ORDER BY comments.id" in statement:
            page_queries.append(statement)

    engine = app.extensions["commentsvc"].database.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        with ThreadPoolExecutor(8) as pool:
            pages = list(
                pool.map(
                    lambda _: (
                        app.test_client()
                        .get("/api/v1/comments", query_string={"url": ARTICLE})
                        .json["total"]
                    ),
                    range(8),
                )
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert pages == [3] * 8
    assert len(page_queries) == 1


def test_a_redis_that_refuses_key_tracking_still_gives_current_pages(
    make_app: Any, post_comment: Any, approve: Any, redis_server: RedisServer
) -> None:
    """An ACL without CLIENT (or a proxy that does not pass it on): every read asks
    Redis, and nothing is ever stale."""
    admin = redis_server.client()
    admin.acl_setuser(
        "no-tracking", enabled=True, passwords=["+secret"], keys=["*"], channels=["*"],
        commands=["+@all", "-client"],
    )  # fmt: skip
    url = f"redis://no-tracking:secret@127.0.0.1:{redis_server.port}/0"
    client = make_app(redis_url=url).test_client()
    comment_id = post_comment().json["id"]
    approve(comment_id)
    for _ in range(3):
        assert read(client) == ([comment_id], 1)

    approve(comment_id, "reject")

    assert read(client) == ([], 0)
    admin.acl_deluser("no-tracking")


# The cache's own interface: page(url, build), counts(urls, count_missing), invalidate(url).


@pytest.fixture
def thread_cache(redis_server: RedisServer, redis_url: str) -> Iterator[ThreadCache]:
    cache = ThreadCache(Redis.from_url(redis_url), ttl_seconds=60)
    yield cache
    cache.close()


def builder(body: bytes, *, exists: bool = True) -> tuple[list[int], Any]:
    calls: list[int] = []

    def build() -> BuiltPage:
        calls.append(1)
        return BuiltPage(body, 1, exists)

    return calls, build


def test_a_page_is_built_on_a_miss_only_and_a_reader_with_it_gets_no_body(
    thread_cache: ThreadCache,
) -> None:
    calls, build = builder(b'{"total": 1}')
    first = thread_cache.page(ARTICLE, build)
    again = thread_cache.page(ARTICLE, build)
    known = thread_cache.page(ARTICLE, build, if_none_match=first.etag)

    assert (first.body, again.body, known.body) == (b'{"total": 1}', b'{"total": 1}', None)
    assert first.etag == again.etag == known.etag
    assert len(calls) == 1


def test_a_page_built_while_a_decision_lands_is_not_kept_as_current(
    thread_cache: ThreadCache,
) -> None:
    calls: list[int] = []

    def build_racing_a_decision() -> BuiltPage:
        calls.append(1)
        if len(calls) == 1:
            thread_cache.invalidate(ARTICLE)  # the decision, while the query ran
        return BuiltPage(f"version {len(calls)}".encode(), 0, True)

    assert thread_cache.page(ARTICLE, build_racing_a_decision).body == b"version 1"
    assert thread_cache.page(ARTICLE, build_racing_a_decision).body == b"version 2"
    assert thread_cache.page(ARTICLE, build_racing_a_decision).body == b"version 2"


def test_an_article_that_does_not_exist_leaves_no_key(
    thread_cache: ThreadCache, redis_server: RedisServer
) -> None:
    _calls, build = builder(b'{"total": 0}', exists=False)
    asked: list[list[str]] = []

    def count_missing(urls: list[str]) -> dict[str, int]:
        asked.append(urls)
        return {ARTICLE: 2}  # only the article that exists

    page = thread_cache.page(f"{SITE}/nowhere", build)
    counts = thread_cache.counts([ARTICLE, f"{SITE}/nowhere", ARTICLE], count_missing)
    cached = thread_cache.counts([ARTICLE], count_missing)

    assert page.body == b'{"total": 0}'
    assert counts == {ARTICLE: 2, f"{SITE}/nowhere": 0}
    assert cached == {ARTICLE: 2}
    assert asked == [[ARTICLE, f"{SITE}/nowhere"]]  # once, each address once
    assert len(redis_server.client().keys("commentsvc:thread:*")) == 1  # ARTICLE's


def test_a_redis_that_is_down_leaves_the_cache_building_every_answer(
    redis_server_factory: Any,
) -> None:
    server = redis_server_factory()
    cache = ThreadCache(Redis.from_url(server.url, socket_timeout=1), ttl_seconds=60)
    server.stop()
    calls, build = builder(b"page")

    pages = [cache.page(ARTICLE, build).body for _ in range(2)]
    counts = cache.counts([ARTICLE], lambda urls: {url: 3 for url in urls})
    cache.invalidate(ARTICLE)

    assert pages == [b"page", b"page"] and len(calls) == 2
    assert counts == {ARTICLE: 3}
    cache.close()
