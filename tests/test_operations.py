"""What a site owner operates with: metrics, request ids, the client IP behind a proxy."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.conftest import ARTICLE, comment_payload


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in metrics")


def test_metrics_count_posts_decisions_and_the_queue(
    client: Any, post_comment: Any, approve: Any
) -> None:
    before = client.get("/metrics").get_data(as_text=True)
    first = post_comment().json["id"]
    post_comment(body="second")
    approve(first)

    response = client.get("/metrics")
    after = response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    posted = "commentsvc_comments_posted_total"
    assert metric(after, posted) - metric(before, posted) == 2
    approvals = 'commentsvc_decisions_total{action="approve"}'
    assert metric(after, approvals) - (metric(before, approvals) if approvals in before else 0) == 1
    assert metric(after, "commentsvc_moderation_queue_length") == 1
    assert metric(after, "commentsvc_moderation_queue_oldest_age_seconds") >= 0
    assert 'commentsvc_request_duration_seconds_count{endpoint="comments.post_comment"' in after


def test_every_answer_carries_a_request_id_and_is_logged(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="commentsvc.requests"):
        given = client.get(
            "/api/v1/comments", query_string={"url": ARTICLE}, headers={"X-Request-ID": "edge-42"}
        )
        made = client.get("/healthz")
        hostile = client.get("/healthz", headers={"X-Request-ID": "<script>"})

    assert given.headers["X-Request-ID"] == "edge-42"
    assert len(made.headers["X-Request-ID"]) == 32
    assert hostile.headers["X-Request-ID"] != "<script>"
    lines = [r.getMessage() for r in caplog.records if r.name == "commentsvc.requests"]
    assert any(
        line.startswith("GET /api/v1/comments 200 ") and "id=edge-42" in line for line in lines
    )


@pytest.mark.parametrize(("trusted", "expected_ip"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_the_client_ip_comes_from_the_proxy_only_when_trusted(
    make_app: Any, trusted: int, expected_ip: str
) -> None:
    app = make_app(trusted_proxies=trusted, post_rate_limit="1/minute")
    client = app.test_client()
    from commentsvc.moderation.services import add_moderator

    with app.extensions["commentsvc"].database.sessions() as session:
        auth = {"Authorization": f"Bearer {add_moderator(session, 'alice')}"}
    forwarded = {"X-Forwarded-For": "203.0.113.7"}

    first = client.post("/api/v1/comments", json=comment_payload(), headers=forwarded)
    other_client = client.post(
        "/api/v1/comments",
        json=comment_payload(body="b"),
        headers={"X-Forwarded-For": "198.51.100.9"},
    )

    assert first.status_code == 202
    queued = client.get("/api/v1/moderation/queue", headers=auth).json["comments"]
    assert queued[0]["ip"] == expected_ip
    # Behind a trusted proxy each client has its own limit; untrusted, the header is ignored.
    assert other_client.status_code == (202 if trusted else 429)
