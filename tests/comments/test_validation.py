"""Every validation rule of a new comment, and the envelope that reports them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ARTICLE, comment_payload

LONG = "x" * 10_001


@pytest.mark.parametrize(
    ("changes", "field", "message_part"),
    [
        ({"url": None}, "url", "missing"),
        ({"url": "not a url"}, "url", "http"),
        ({"url": "ftp://blog.example.com/a"}, "url", "http"),
        ({"url": "https://blog.example.com/" + "a" * 2001}, "url", "too long"),
        ({"name": None}, "name", "enter your name"),
        ({"name": ""}, "name", "enter your name"),
        ({"name": "   \u200b "}, "name", "enter your name"),
        ({"name": "n" * 101}, "name", "at most 100"),
        ({"name": 42}, "name", "text"),
        ({"email": None}, "email", "email address"),
        ({"email": ""}, "email", "email address"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"email": "ada@example"}, "email", "valid email"),
        ({"email": "ada@@example.com"}, "email", "valid email"),
        ({"email": "a" * 250 + "@example.com"}, "email", "valid email"),
        ({"website": "javascript:alert(1)"}, "website", "http://"),
        ({"website": "ftp://files.example.com"}, "website", "http://"),
        ({"website": "example"}, "website", "http://"),
        ({"website": "https://example.com/" + "p" * 500}, "website", "too long"),
        ({"body": None}, "body", "write a comment"),
        ({"body": ""}, "body", "write a comment"),
        ({"body": " \n\t\u200b\ufeff "}, "body", "write a comment"),
        ({"body": LONG}, "body", "under 10,000"),
        ({"body": "nul \x00 byte"}, "body", "not allowed"),
        ({"body": "escape \x1b[2J sequence"}, "body", "not allowed"),
        ({"body": "\u3164"}, "body", "write a comment"),
        ({"body": "\u2800 \u2800"}, "body", "write a comment"),
        ({"body": "\u200d\u2060\u202e"}, "body", "write a comment"),
        ({"body": "\u0301\u0308\u20dd"}, "body", "write a comment"),
        ({"name": "\u3164"}, "name", "enter your name"),
        ({"name": "\u2800"}, "name", "enter your name"),
        ({"name": "\u200b\u2063"}, "name", "enter your name"),
        ({"name": "\u0336\u0336"}, "name", "enter your name"),
        ({"name": "Ada\nAdmin"}, "name", "not allowed"),
        ({"name": "Ada \u202egnp.exe"}, "name", "text-direction"),
        ({"name": "Ada \u2067x\u2069"}, "name", "text-direction"),
        ({"website": "https://ada.example/\x00"}, "website", "http://"),
        ({"website": "https://ada.example/a\x01b"}, "website", "http://"),
        ({"website": "https://ada.example/a\u2028b"}, "website", "http://"),
        ({"url": f"{ARTICLE}\x00"}, "url", "not allowed"),
        ({"parent_id": "abc"}, "parent_id", "reply"),
        ({"parent_id": 0}, "parent_id", "reply"),
        ({"parent_id": 2**40}, "parent_id", "reply"),
        ({"parent_id": 999}, "parent_id", "published comment"),
        ({"surprise": "field"}, "surprise", "Unknown field"),
    ],
)
def test_each_bad_field_is_named_with_a_readable_message(
    post_comment: Any, changes: dict[str, Any], field: str, message_part: str
) -> None:
    response = post_comment(**changes)

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == 422
    assert list(error["fields"]) == [field]
    assert message_part.lower() in " ".join(error["fields"][field]).lower()


def test_every_bad_field_is_reported_at_once(client: Any) -> None:
    response = client.post(
        "/api/v1/comments",
        json={"url": ARTICLE, "email": "nope", "website": "nope", "body": " ", "extra": 1},
    )

    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"name", "email", "website", "body", "extra"}
    assert "fields" in response.json["error"]["message"]


def test_email_is_normalised_and_website_optional(client: Any, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/comments",
        json=comment_payload(email="  Ada@EXAMPLE.com ", website="", name="  Ada  "),
    )

    assert response.status_code == 202
    assert response.json["author"] == {"name": "Ada", "website": None}
    queued = client.get("/api/v1/moderation/queue", headers=auth).json["comments"]
    assert queued[0]["email"] == "Ada@example.com"


def test_reply_needs_an_approved_parent_of_the_same_article(
    post_comment: Any, approve: Any
) -> None:
    parent = post_comment().json["id"]
    assert post_comment(parent_id=parent).status_code == 422  # still pending

    approve(parent)
    other_article = post_comment(url="https://blog.example.com/other", parent_id=parent)
    reply = post_comment(parent_id=parent)

    assert other_article.status_code == 422
    assert "parent_id" in other_article.json["error"]["fields"]
    assert reply.status_code == 202
    assert reply.json["parent_id"] == parent


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "JSON object"),
        (b"url=x", "text/plain", "as JSON"),
    ],
)
def test_a_malformed_body_is_400_in_the_envelope(
    client: Any, body: bytes, content_type: str, message: str
) -> None:
    response = client.post("/api/v1/comments", data=body, content_type=content_type)

    assert response.status_code == 400
    assert response.json["error"]["code"] == 400
    assert message in response.json["error"]["message"]


def test_a_too_large_body_is_413_in_the_envelope(client: Any) -> None:
    response = client.post("/api/v1/comments", json=comment_payload(body="x" * 200_000))

    assert response.status_code == 413
    assert response.json == {"error": {"code": 413, "message": "The comment is too large."}}


def test_an_article_outside_the_configured_sites_is_403(post_comment: Any) -> None:
    response = post_comment(url="https://elsewhere.example.net/post")

    assert response.status_code == 403
    assert response.json["error"]["code"] == 403
    assert "not enabled" in response.json["error"]["message"]


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("Zoe\u0308", "Cafe\u0301 au lait\n\n\tindented"),
        ("\ud55c\uae00 \uc774\ub984", "\u2800 braille blank beside real text"),
        ("\u0645\u062d\u0645\u062f", "\u05e9\u05dc\u05d5\u05dd \u200f!"),
        ("\U0001f44d", "\U0001f600"),
    ],
    ids=["combining", "hangul", "rtl", "emoji"],
)
def test_real_names_and_bodies_of_any_script_are_taken(
    post_comment: Any, name: str, body: str
) -> None:
    response = post_comment(name=name, body=body)

    assert response.status_code == 202, response.json
    assert response.json["author"]["name"] == name
