"""Redis fails; nothing is lost. The database is the source of truth."""

from __future__ import annotations

import time
from typing import Any

from commentsvc import start_background_work
from tests.conftest import ARTICLE, bearer, comment_payload


def wait_for(condition: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_comments_posted_while_redis_is_down_are_kept_and_queued_when_it_returns_empty(
    make_app: Any, redis_server_factory: Any, make_moderator: Any
) -> None:
    redis = redis_server_factory()
    app = make_app(redis_url=redis.url, requeue_in_background=True, requeue_interval_seconds=0.2)
    start_background_work(app)
    client = app.test_client()
    auth = bearer(make_moderator("alice"))
    before = client.post("/api/v1/comments", json=comment_payload(body="before the outage"))

    redis.stop()
    during = client.post("/api/v1/comments", json=comment_payload(body="during the outage"))
    health = client.get("/healthz")
    thread = client.get("/api/v1/comments", query_string={"url": ARTICLE})
    queue = client.get("/api/v1/moderation/queue", headers=auth)

    assert before.status_code == 202 and during.status_code == 202
    assert health.status_code == 503
    assert health.json["error"]["checks"] == {
        "database": "ok",
        "redis": health.json["error"]["checks"]["redis"],
    }
    assert health.json["error"]["checks"]["redis"].startswith("down")
    assert "Redis" in health.json["error"]["message"]
    assert thread.status_code == 200  # readers are served from the database meanwhile
    assert queue.status_code == 503 and queue.json["error"]["code"] == 503

    redis.start()  # same port, no persistence: it comes back empty
    assert client.get("/healthz").status_code == 200
    queued = wait_for(lambda: client.get("/api/v1/moderation/queue", headers=auth).json["comments"])

    assert [c["id"] for c in queued] == [before.json["id"], during.json["id"]]


def test_a_decision_while_redis_is_down_still_counts(
    make_app: Any, redis_server_factory: Any, make_moderator: Any
) -> None:
    redis = redis_server_factory()
    app = make_app(redis_url=redis.url)
    client = app.test_client()
    auth = bearer(make_moderator("alice"))
    comment_id = client.post("/api/v1/comments", json=comment_payload()).json["id"]
    client.get("/api/v1/comments", query_string={"url": ARTICLE})  # cache the empty page

    redis.stop()
    decided = client.post(
        f"/api/v1/moderation/comments/{comment_id}", json={"action": "approve"}, headers=auth
    )
    redis.start()

    assert decided.status_code == 200
    assert client.get("/api/v1/comments", query_string={"url": ARTICLE}).json["total"] == 1
