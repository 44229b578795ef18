"""Rate limits shared by every worker, and CORS for the configured sites only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ARTICLE, SITE, comment_payload


def test_posting_too_fast_is_429_in_the_envelope(make_app: Any) -> None:
    client = make_app(post_rate_limit="3/minute").test_client()

    answers = [
        client.post("/api/v1/comments", json=comment_payload(body=f"n{n}")) for n in range(4)
    ]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert answers[-1].json["error"]["code"] == 429
    assert "too fast" in answers[-1].json["error"]["message"]
    assert int(answers[-1].headers["Retry-After"]) > 0


def test_the_limit_is_shared_by_separate_app_processes(make_app: Any) -> None:
    # Two apps stand for two gunicorn workers: the count lives in Redis, not in them.
    first, second = (make_app(post_rate_limit="2/minute").test_client() for _ in range(2))

    assert first.post("/api/v1/comments", json=comment_payload(body="a")).status_code == 202
    assert second.post("/api/v1/comments", json=comment_payload(body="b")).status_code == 202
    assert first.post("/api/v1/comments", json=comment_payload(body="c")).status_code == 429
    assert second.post("/api/v1/comments", json=comment_payload(body="d")).status_code == 429


def test_the_limit_is_per_client_ip(make_app: Any) -> None:
    client = make_app(post_rate_limit="1/minute").test_client()

    one = client.post(
        "/api/v1/comments", json=comment_payload(), environ_base={"REMOTE_ADDR": "10.0.0.1"}
    )
    two = client.post(
        "/api/v1/comments", json=comment_payload(), environ_base={"REMOTE_ADDR": "10.0.0.2"}
    )

    assert (one.status_code, two.status_code) == (202, 202)


def test_an_allowed_origin_gets_cors_headers_and_its_preflight(client: Any) -> None:
    preflight = client.options(
        "/api/v1/comments",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    post = client.post("/api/v1/comments", json=comment_payload(), headers={"Origin": SITE})
    read = client.get("/api/v1/comments", query_string={"url": ARTICLE}, headers={"Origin": SITE})

    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert post.headers["Access-Control-Allow-Origin"] == SITE
    assert read.headers["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in read.headers["Vary"]


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://blog.example.com", "https://blog.example.com:8443"]
)
def test_other_origins_get_no_cors_and_a_refused_preflight(client: Any, origin: str) -> None:
    preflight = client.options(
        "/api/v1/comments", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    read = client.get("/api/v1/comments", query_string={"url": ARTICLE}, headers={"Origin": origin})

    assert preflight.status_code == 403
    assert preflight.json["error"]["code"] == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Origin" not in read.headers


def test_moderation_endpoints_are_not_open_to_other_origins(
    client: Any, auth: dict[str, str]
) -> None:
    answer = client.get("/api/v1/moderation/queue", headers={**auth, "Origin": SITE})

    assert "Access-Control-Allow-Origin" not in answer.headers


def test_every_configured_rate_applies_and_retry_after_names_the_longest_wait(
    make_app: Any,
) -> None:
    client = make_app(post_rate_limit="5/minute;2 per hour").test_client()

    answers = [
        client.post("/api/v1/comments", json=comment_payload(body=f"n{n}")) for n in range(3)
    ]

    assert [a.status_code for a in answers] == [202, 202, 429]
    assert 60 < int(answers[-1].headers["Retry-After"]) <= 3600
