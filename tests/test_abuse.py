"""Rate limits shared by every worker, and CORS for the configured sites only."""

from __future__ import annotations

from typing import Any

import pytest

from commentsvc.config import Settings
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


def test_ipv6_clients_are_counted_per_64_network(make_app: Any) -> None:
    client = make_app(post_rate_limit="1/minute").test_client()

    def post(address: str, body: str) -> int:
        return int(
            client.post(
                "/api/v1/comments",
                json=comment_payload(body=body),
                environ_base={"REMOTE_ADDR": address},
            ).status_code
        )

    first = post("2001:db8:1:2::1", "a")
    same_64 = post("2001:db8:1:2:ffff:1234:5678:9abc", "b")
    other_64 = post("2001:db8:1:3::1", "c")
    mapped = post("::ffff:192.0.2.10", "d")
    same_v4 = post("192.0.2.10", "e")
    next_v4 = post("192.0.2.11", "f")

    assert (first, same_64, other_64) == (202, 429, 202)
    assert (mapped, same_v4, next_v4) == (202, 429, 202)


def test_the_ipv6_prefix_is_configurable_and_holds_behind_trusted_proxies(
    make_app: Any,
) -> None:
    client = make_app(
        post_rate_limit="1/minute", ipv6_rate_limit_prefix=48, trusted_proxies=1
    ).test_client()

    def post(forwarded_for: str, body: str) -> int:
        return int(
            client.post(
                "/api/v1/comments",
                json=comment_payload(body=body),
                headers={"X-Forwarded-For": forwarded_for},
                environ_base={"REMOTE_ADDR": "10.0.0.1"},
            ).status_code
        )

    assert post("2001:db8:aa:1::1", "a") == 202
    assert post("2001:db8:aa:ffff::2", "b") == 429  # the same /48
    assert post("2001:db8:ab:1::1", "c") == 202


def test_sites_given_in_unicode_match_what_browsers_send(make_app: Any) -> None:
    sites = Settings.from_env({"COMMENTSVC_SITES": "https://Bücher.example"}).sites
    client = make_app(sites=sites).test_client()
    browser_origin = "https://xn--bcher-kva.example"

    preflight = client.options(
        "/api/v1/comments",
        headers={"Origin": browser_origin, "Access-Control-Request-Method": "POST"},
    )
    unicode_article = client.post(
        "/api/v1/comments",
        json=comment_payload(url="https://bücher.example/neu"),
        headers={"Origin": browser_origin},
    )
    punycode_article = client.post(
        "/api/v1/comments",
        json=comment_payload(url=f"{browser_origin}/neu", body="second"),
        headers={"Referer": f"{browser_origin}/neu"},
    )
    read = client.get(
        "/api/v1/comments",
        query_string={"url": "https://bücher.example/neu"},
        headers={"Origin": browser_origin},
    )

    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == browser_origin
    assert unicode_article.status_code == 202, unicode_article.json
    assert unicode_article.json["url"] == f"{browser_origin}/neu"
    assert punycode_article.status_code == 202, punycode_article.json
    assert read.headers["Access-Control-Allow-Origin"] == browser_origin
