"""Each step of the spam pipeline leaves a reason the moderator reads in the queue."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from commentsvc.comments.models import Comment
from commentsvc.comments.rendering import render
from commentsvc.config import Rate
from commentsvc.moderation.trust import Trust, set_trust
from commentsvc.spam import formtoken
from tests.conftest import comment_payload


@pytest.fixture
def reader(make_app: Any) -> Any:
    """A service whose score decides nothing, so every comment shows in the queue."""
    return make_app(spam_threshold=1.0)


_addresses = itertools.count(1)


def _post(app: Any, address: str | None = None, **changes: Any) -> Any:
    """Posted from an address of its own unless told (flood is tested on its own)."""
    address = address or f"203.0.113.{next(_addresses) % 250}"
    answer = app.test_client().post(
        "/api/v1/comments", json=comment_payload(**changes),
        environ_base={"REMOTE_ADDR": address},
    )  # fmt: skip
    assert answer.status_code == 202, answer.json
    return answer


def _reasons(app: Any, answer: Any) -> list[str]:
    with app.extensions["commentsvc"].database.sessions() as session:
        comment = session.get(Comment, answer.json["id"])
        assert comment is not None
        return list(comment.spam_reasons)


def _kinds(app: Any, answer: Any) -> list[str]:
    return [reason.split(":")[0] for reason in _reasons(app, answer)]


def test_an_ordinary_comment_has_no_reason(reader: Any) -> None:
    assert _reasons(reader, _post(reader)) == []


def test_a_blocked_author_comes_first(reader: Any) -> None:
    with reader.extensions["commentsvc"].database.sessions() as session:
        set_trust(session, "ada@example.com", Trust.BLOCKED, "alice")
    first = _post(reader, body="Same again")
    again = _post(reader, body="Same again")

    assert _reasons(reader, first) == ["blocked author: a moderator blocked this email address"]
    assert _kinds(reader, again) == ["blocked author", "duplicate"]


def test_flood_counts_posts_of_one_address_and_of_one_email(make_app: Any) -> None:
    reader = make_app(spam_threshold=1.0, flood_limit=Rate(2, 600))
    by_address = [
        _post(reader, address="203.0.113.250", email=f"r{n}@example.com", body=f"Point {n}")
        for n in range(3)
    ]
    by_email = [
        _post(reader, address=f"198.51.100.{n}", email="busy@example.com", body=f"Note {n}")
        for n in range(3)
    ]

    assert [_kinds(reader, answer) for answer in by_address] == [[], [], ["flood"]]
    assert _reasons(reader, by_address[2]) == [
        "flood: 3 comments from this IP address in 10 minutes"
    ]
    assert _reasons(reader, by_email[2]) == [
        "flood: 3 comments from this email address in 10 minutes"
    ]


def test_the_honeypot(reader: Any) -> None:
    assert _kinds(reader, _post(reader, homepage="http://bot.example")) == ["honeypot"]


def test_a_comment_sent_right_after_the_form_was_shown_is_too_fast(reader: Any) -> None:
    client = reader.test_client()
    token = client.get("/api/v1/comments/form-token")
    assert token.status_code == 200
    assert token.headers["Cache-Control"] == "no-store"
    secret = reader.extensions["commentsvc"].settings.secret_key

    quick = _post(reader, form_token=token.json["token"])
    patient = _post(
        reader, body="Took my time", form_token=formtoken.issue(secret, time.time() - 20)
    )
    forged = _post(reader, body="Forged", form_token=f"{int(time.time() * 1000) - 20000}.00ff")
    without = _post(reader, body="From a script of my own, no token")

    [reason] = _reasons(reader, quick)
    assert reason.startswith("too fast: posted ") and "after the form was shown" in reason
    assert _reasons(reader, patient) == []
    assert _reasons(reader, forged) == ["form token: not one this service gave out"]
    assert _reasons(reader, without) == []  # API clients and plain forms have none


def test_links_are_counted_as_rendered(reader: Any) -> None:
    encoded = _post(reader, body="[a](&#104;ttp://one.example) [b](https://two.example) "
                                 "[c](HTTPS://three.example)")  # fmt: skip
    written_out = _post(reader, body="http://a.example www.b.example https://c.example")
    relative = _post(reader, body="[a](//one.example) [b](/two) [c](three) [d](https://ok.example)")

    assert _reasons(reader, encoded) == ["links: 3 links (more than 2)"]
    assert _reasons(reader, written_out) == ["links: 3 links (more than 2)"]
    assert _reasons(reader, relative) == []


def test_relative_links_are_not_links_on_the_host_site() -> None:
    html = render("[login](/login) [other](//evil.example/x) [ok](https://ok.example) "
                  "[mail](mailto:ada@example.com) [js](javascript:alert(1))")  # fmt: skip

    assert 'href="/login"' not in html and "evil.example" not in html
    assert html.count("href=") == 2
    assert 'href="https://ok.example"' in html and 'href="mailto:ada@example.com"' in html


@pytest.mark.parametrize(
    ("changes", "address", "found"),
    [
        ({"body": "Cheap V&#105;AGRA here"}, None, "viagra"),  # rendered text
        ({"name": "Casino Royale"}, None, "casino"),
        ({"email": "win@casino.example"}, None, "casino"),
        ({"website": "https://shop.spamhost.example/"}, None, "spamhost.example"),
        ({}, "198.18.0.66", "198.18.0."),
    ],
)
def test_blocked_words_in_name_email_website_address_and_text(
    make_app: Any, changes: dict[str, str], address: str | None, found: str
) -> None:
    words = ("viagra", "casino", "spamhost.example", "198.18.0.")
    app = make_app(spam_threshold=1.0, blocked_words=words)

    answer = _post(app, address=address, **changes)

    assert _reasons(app, answer) == [f"blocked words: {found}"]


def test_reasons_keep_the_pipelines_order(make_app: Any) -> None:
    reader = make_app(spam_threshold=1.0, flood_limit=Rate(1, 600))
    _post(
        reader,
        address="192.0.2.1",
        body="Win at the casino http://a.example http://b.example http://c.example",
    )
    _post(
        reader,
        address="192.0.2.1",
        body="Win at the casino http://a.example http://b.example http://c.example",
    )
    body = "Win at the casino http://a.example http://b.example http://c.example"
    third = _post(reader, address="192.0.2.1", homepage="x", body=body)

    assert _kinds(reader, third) == ["duplicate", "flood", "honeypot", "links", "blocked words"]
