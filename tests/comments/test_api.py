"""Posting and reading comments through the public API."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.conftest import ARTICLE, SITE, comment_payload


def test_a_new_comment_is_pending_and_not_public(client: Any, post_comment: Any) -> None:
    response = post_comment()

    assert response.status_code == 202
    assert response.json["status"] == "pending"
    assert response.json["url"] == ARTICLE
    assert client.get("/api/v1/comments", query_string={"url": ARTICLE}).json == {
        "url": ARTICLE,
        "total": 0,
        "comments": [],
    }


def test_approved_comments_are_listed_oldest_first_with_the_public_fields_only(
    client: Any, post_comment: Any, approve: Any
) -> None:
    first = post_comment(body="first").json["id"]
    second = post_comment(body="second", email="bob@example.com", website=None).json["id"]
    rejected = post_comment(body="third").json["id"]
    approve(second)
    approve(first)
    approve(rejected, "reject")

    thread = client.get("/api/v1/comments", query_string={"url": ARTICLE}).json

    assert thread["total"] == 2
    assert [c["id"] for c in thread["comments"]] == [first, second]
    comment = thread["comments"][0]
    assert set(comment) == {"id", "parent_id", "author", "html", "created_at"}
    assert comment["author"] == {"name": "Ada Lovelace", "website": "https://ada.example.org"}
    assert comment["html"] == "<p>first</p>"
    assert comment["created_at"].endswith("Z")


def test_the_email_and_ip_never_appear_in_any_public_answer(
    client: Any, post_comment: Any, approve: Any
) -> None:
    created = post_comment(email="secret.reader@example.com")
    approve(created.json["id"])
    answers = [
        created.get_data(as_text=True),
        client.get("/api/v1/comments", query_string={"url": ARTICLE}).get_data(as_text=True),
        client.get("/api/v1/counts", query_string={"url": ARTICLE}).get_data(as_text=True),
    ]

    for answer in answers:
        assert "secret.reader" not in answer
        assert "127.0.0.1" not in answer


@pytest.mark.parametrize(
    "variant",
    [
        ARTICLE + "#comments",
        ARTICLE + "?utm_source=newsletter&utm_medium=email",
        ARTICLE.replace("https://blog.example.com", "HTTPS://Blog.Example.COM:443"),
        ARTICLE + "?fbclid=abc",
    ],
)
def test_one_article_is_one_thread_whatever_the_url_variant(
    client: Any, post_comment: Any, approve: Any, variant: str
) -> None:
    approve(post_comment(url=variant).json["id"])

    assert client.get("/api/v1/comments", query_string={"url": ARTICLE}).json["total"] == 1
    assert client.get("/api/v1/comments", query_string={"url": variant}).json["url"] == ARTICLE


def test_a_meaningful_query_string_is_a_different_article(
    client: Any, post_comment: Any, approve: Any
) -> None:
    approve(post_comment(url=ARTICLE + "?page=2").json["id"])

    assert client.get("/api/v1/comments", query_string={"url": ARTICLE}).json["total"] == 0


def parse_tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """The elements a browser would build from this HTML, with their attributes."""
    found: list[tuple[str, dict[str, str | None]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    Collector().feed(html)
    return found


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "<a href='javascript:alert(1)'>x</a>",
        "![tracker](https://evil.example/pixel.png)",
        '<iframe src="https://evil.example"></iframe>',
        "<svg onload=alert(1)>",
    ],
)
def test_no_body_can_produce_script_or_media_in_html(post_comment: Any, hostile: str) -> None:
    html = post_comment(body=hostile).json["html"]

    tags = parse_tags(html)
    assert {tag for tag, _ in tags} <= {"p", "a", "br", "em", "strong", "code"}
    for _tag, attributes in tags:
        assert set(attributes) <= {"href", "rel"}
        assert attributes.get("href", "https:").startswith(("https:", "http:"))


def test_markdown_subset_renders_with_safe_links(post_comment: Any) -> None:
    body = "Hello **you**\nnext line\n\n> quoted\n\n- one\n- two\n\n`code` [site](https://ex.com)"

    html = post_comment(body=body).json["html"]

    assert "<strong>you</strong><br>" in html
    assert "<blockquote>" in html and "<li>one</li>" in html and "<code>code</code>" in html
    assert '<a href="https://ex.com" rel="nofollow ugc noopener">site</a>' in html


def test_a_form_post_redirects_back_to_the_article(client: Any) -> None:
    form = comment_payload(website="", parent_id="", homepage="")
    form["url"] = ARTICLE + "?utm_campaign=x"

    response = client.post("/api/v1/comments", data=form)

    assert response.status_code == 303
    assert response.headers["Location"] == ARTICLE


def test_a_form_post_with_bad_fields_gets_the_envelope(client: Any) -> None:
    response = client.post("/api/v1/comments", data={"url": ARTICLE, "name": "", "email": "x"})

    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"name", "email", "body"}


def test_counts_answer_many_articles_by_the_url_as_asked(
    client: Any, post_comment: Any, approve: Any
) -> None:
    other = f"{SITE}/other"
    for _ in range(2):
        approve(post_comment().json["id"])
    post_comment(url=other)  # pending: not counted
    asked = [ARTICLE + "#comments", other, f"{SITE}/never-commented"]

    response = client.get("/api/v1/counts", query_string=[("url", url) for url in asked])

    assert response.status_code == 200
    assert response.json == {"counts": {asked[0]: 2, other: 0, asked[2]: 0}}


def test_counts_without_url_is_422(client: Any) -> None:
    response = client.get("/api/v1/counts")

    assert response.status_code == 422
    assert "url" in response.json["error"]["fields"]


def test_listing_without_url_is_422(client: Any) -> None:
    response = client.get("/api/v1/comments")

    assert response.status_code == 422
    assert response.json["error"]["fields"]["url"]


def test_the_thread_answers_304_to_its_etag_until_a_decision_changes_it(
    client: Any, post_comment: Any, approve: Any
) -> None:
    query = {"url": ARTICLE}
    etag = client.get("/api/v1/comments", query_string=query).headers["ETag"]

    assert (
        client.get(
            "/api/v1/comments", query_string=query, headers={"If-None-Match": etag}
        ).status_code
        == 304
    )
    approve(post_comment().json["id"])
    fresh = client.get("/api/v1/comments", query_string=query, headers={"If-None-Match": etag})

    assert fresh.status_code == 200
    assert fresh.json["total"] == 1
    assert fresh.headers["ETag"] != etag


def test_unknown_paths_and_methods_use_the_envelope(client: Any) -> None:
    missing = client.get("/api/v1/nothing")
    wrong_method = client.put("/api/v1/comments")

    assert missing.status_code == 404
    assert missing.json["error"]["code"] == 404
    assert wrong_method.status_code == 405
    assert json.loads(wrong_method.get_data())["error"]["code"] == 405
