"""Reads cannot grow Redis: only articles that exist are cached, articles outside
COMMENTSVC_SITES never; a Redis that refuses writes stops posting (the limit cannot
be counted) and /healthz says so; a Redis that is down does not."""

from __future__ import annotations

from typing import Any

import pytest
from redis import Redis
from redis.exceptions import OutOfMemoryError

from tests.conftest import ARTICLE, SITE, RedisServer, comment_payload


def test_reads_of_made_up_articles_add_nothing_to_redis(
    client: Any, redis_server: RedisServer
) -> None:
    redis = redis_server.client()
    client.get("/api/v1/comments", query_string={"url": ARTICLE})
    before = redis.dbsize()

    for n in range(300):
        page = client.get("/api/v1/comments", query_string={"url": f"{SITE}/made-up/{n}"})
        assert (page.status_code, page.json["total"]) == (200, 0)
    for n in range(20):
        query = [("url", f"{SITE}/made-up/{n}/{m}") for m in range(100)]
        counts = client.get("/api/v1/counts", query_string=query)
        assert counts.status_code == 200 and set(counts.json["counts"].values()) == {0}

    assert redis.dbsize() == before


def test_an_article_is_cached_once_it_has_a_thread_and_its_first_approval_shows(
    client: Any, make_app: Any, post_comment: Any, approve: Any, redis_server: RedisServer
) -> None:
    redis = redis_server.client()
    url = f"{SITE}/new-article"
    for _ in range(3):  # read before it has a thread: kept in this process only
        assert client.get("/api/v1/comments", query_string={"url": url}).json["total"] == 0
        assert client.get("/api/v1/counts", query_string={"url": url}).json["counts"] == {url: 0}
    assert redis.keys("commentsvc:thread:*") == []

    comment_id = post_comment(url=url).json["id"]
    other_worker = make_app().test_client()
    assert other_worker.get("/api/v1/comments", query_string={"url": url}).json["total"] == 0
    assert redis.keys("commentsvc:thread:*") != []  # its thread exists now: cached
    assert client.get("/api/v1/comments", query_string={"url": url}).json["total"] == 0
    approve(comment_id)

    for worker in (client, other_worker):
        assert worker.get("/api/v1/comments", query_string={"url": url}).json["total"] == 1
        assert worker.get("/api/v1/counts", query_string={"url": url}).json["counts"] == {url: 1}


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/comments", [("url", "https://elsewhere.example/article")]),
        ("/api/v1/counts", [("url", ARTICLE), ("url", "https://elsewhere.example/article")]),
    ],
)
def test_articles_outside_the_configured_sites_are_refused_and_never_cached(
    client: Any, redis_server: RedisServer, path: str, query: list[tuple[str, str]]
) -> None:
    redis = redis_server.client()
    for _ in range(3):
        answer = client.get(path, query_string=query)
        assert answer.status_code == 403
        assert answer.json["error"]["message"] == "Comments are not enabled for this website."
    assert redis.keys("commentsvc:thread:*") == []


def fill_up(redis: Redis) -> None:
    """Fill Redis with 2 MB, then cap it 1 MB below what it holds, with noeviction:
    what Redis looks like once readers or writers have used up its memory."""
    for n in range(32):
        redis.set(f"filler:{n}", "x" * 64 * 1024)
    used = int(redis.info("memory")["used_memory"])
    redis.config_set("maxmemory-policy", "noeviction")
    redis.config_set("maxmemory", str(used - 2**20))
    with pytest.raises(OutOfMemoryError):
        redis.set("one-more", "x")


def test_a_full_redis_refuses_posts_and_health_says_so(
    make_app: Any, redis_server_factory: Any
) -> None:
    server = redis_server_factory()
    client = make_app(redis_url=server.url, post_rate_limit="3/minute").test_client()
    assert client.post("/api/v1/comments", json=comment_payload(body="before")).status_code == 202
    fill_up(server.client())

    posts = [client.post("/api/v1/comments", json=comment_payload(body=f"n{n}")) for n in range(5)]
    health = client.get("/healthz")
    page = client.get("/api/v1/comments", query_string={"url": ARTICLE})

    assert [post.status_code for post in posts] == [503] * 5
    assert "Redis refuses writes" in posts[0].json["error"]["message"]
    assert "Posting is paused" in posts[0].json["error"]["message"]
    assert health.status_code == 503
    assert health.json["error"]["checks"]["redis"].startswith("refuses writes")
    assert health.json["error"]["checks"]["database"] == "ok"
    assert "Redis refuses writes" in health.json["error"]["message"]
    assert page.status_code == 200  # reads go on, from the database


def test_a_read_only_replica_refuses_posts_too(make_app: Any, redis_server_factory: Any) -> None:
    server = redis_server_factory()
    client = make_app(redis_url=server.url).test_client()
    nowhere = redis_server_factory()
    nowhere.stop()
    server.client().replicaof("127.0.0.1", nowhere.port)

    post = client.post("/api/v1/comments", json=comment_payload())
    health = client.get("/healthz")

    assert post.status_code == 503 and "Redis refuses writes" in post.json["error"]["message"]
    assert health.status_code == 503
    assert health.json["error"]["checks"]["redis"].startswith("refuses writes")


def test_a_redis_that_is_down_does_not_stop_posting(
    make_app: Any, redis_server_factory: Any
) -> None:
    server = redis_server_factory()
    client = make_app(redis_url=server.url, post_rate_limit="1/minute").test_client()
    server.stop()

    posts = [client.post("/api/v1/comments", json=comment_payload(body=f"n{n}")) for n in range(3)]

    assert [post.status_code for post in posts] == [202] * 3


def test_every_redis_failure_is_counted_by_operation(
    make_app: Any, redis_server_factory: Any
) -> None:
    server = redis_server_factory()
    client = make_app(redis_url=server.url).test_client()
    server.stop()
    client.post("/api/v1/comments", json=comment_payload())
    client.get("/api/v1/comments", query_string={"url": ARTICLE})

    metrics = client.get("/metrics").get_data(as_text=True)

    for operation in ("rate limit", "moderation queue push", "thread cache read"):
        assert f'commentsvc_redis_errors_total{{operation="{operation}"}}' in metrics


def test_a_503_says_what_is_unavailable(
    make_app: Any, redis_server_factory: Any, moderator_token: str
) -> None:
    server = redis_server_factory()
    client = make_app(redis_url=server.url).test_client()
    server.stop()

    queue = client.get(
        "/api/v1/moderation/queue", headers={"Authorization": f"Bearer {moderator_token}"}
    )

    assert queue.status_code == 503
    assert queue.json["error"]["message"] == (
        "The moderation queue is unavailable right now (Redis is not answering)."
    )
