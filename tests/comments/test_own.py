"""Readers change or take back their own comment within the edit window."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from commentsvc.comments.own import edit_token
from tests.conftest import ARTICLE


def flipped(hex_digit: str) -> str:
    """Another hexadecimal digit than this one."""
    return "1" if hex_digit == "0" else "0"


def thread(client: Any) -> dict[str, Any]:
    return dict(client.get("/api/v1/comments", query_string={"url": ARTICLE}).json)


def edit(client: Any, posted: dict[str, Any], body: str, token: str | None = None) -> Any:
    return client.patch(
        f"/api/v1/comments/{posted['id']}",
        json={"body": body},
        headers={"Authorization": f"Bearer {token or posted['edit_token']}"},
    )


def test_posting_answers_a_token_and_until_when_it_works(post_comment: Any) -> None:
    posted = post_comment().json

    assert posted["edit_token"].startswith(f"{posted['id']}.")
    assert posted["editable_until"] > posted["created_at"]


def test_a_waiting_comment_is_changed_in_place_and_stays_waiting(
    client: Any, post_comment: Any, auth: dict[str, str]
) -> None:
    posted = post_comment(body="Typo hree").json

    answer = edit(client, posted, "Typo *here*")

    assert answer.status_code == 200
    assert answer.json["html"] == "<p>Typo <em>here</em></p>"
    assert answer.json["status"] == "pending" and answer.json["edit_status"] is None
    queued = client.get("/api/v1/moderation/queue", headers=auth).json["comments"]
    assert [(c["id"], c["body"]) for c in queued] == [(posted["id"], "Typo *here*")]


def test_an_edit_of_a_published_comment_waits_and_the_published_text_stays(
    client: Any, post_comment: Any, approve: Any, auth: dict[str, str]
) -> None:
    posted = post_comment(body="Nice post").json
    approve(posted["id"])

    answer = edit(client, posted, "Buy cheap pills at https://spam.example")

    assert answer.status_code == 200
    assert answer.json["edit_status"] == "pending"
    assert [c["html"] for c in thread(client)["comments"]] == ["<p>Nice post</p>"]
    queued = client.get("/api/v1/moderation/queue", headers=auth).json["comments"]
    assert [(c["revises_id"], c["body"]) for c in queued] == [
        (posted["id"], "Buy cheap pills at https://spam.example")
    ]
    approve(queued[0]["id"], "reject")
    assert [c["html"] for c in thread(client)["comments"]] == ["<p>Nice post</p>"]


def test_an_approved_edit_changes_the_published_comment(
    client: Any, post_comment: Any, approve: Any, auth: dict[str, str]
) -> None:
    posted = post_comment(body="First words").json
    approve(posted["id"])
    edit(client, posted, "Better words")
    revision = client.get("/api/v1/moderation/queue", headers=auth).json["comments"][0]

    approve(revision["id"])

    comments = thread(client)["comments"]
    assert [(c["id"], c["html"]) for c in comments] == [(posted["id"], "<p>Better words</p>")]
    assert client.get("/api/v1/counts", query_string={"url": ARTICLE}).json["counts"] == {
        ARTICLE: 1
    }


def test_the_author_takes_their_comment_back(
    client: Any, post_comment: Any, approve: Any, auth: dict[str, str]
) -> None:
    posted = post_comment().json
    approve(posted["id"])
    assert thread(client)["total"] == 1

    answer = client.delete(
        f"/api/v1/comments/{posted['id']}",
        headers={"Authorization": f"Bearer {posted['edit_token']}"},
    )

    assert answer.status_code == 204
    assert thread(client)["total"] == 0


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_without_the_right_token_nothing_changes(
    client: Any, post_comment: Any, method: str
) -> None:
    mine = post_comment(body="mine").json
    theirs = post_comment(body="theirs", email="bob@example.com").json
    attempts = [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": f"Bearer {theirs['edit_token']}"},  # another comment's token
        {"Authorization": f"Bearer {mine['edit_token'][:-1]}{flipped(mine['edit_token'][-1])}"},
    ]

    for headers in attempts:
        answer = getattr(client, method)(
            f"/api/v1/comments/{mine['id']}", json={"body": "changed"}, headers=headers
        )
        assert answer.status_code == 403, headers
        assert answer.json["error"]["message"] == "Only the author of this comment can change it."


def test_after_the_window_the_token_no_longer_works(
    app: Any, client: Any, post_comment: Any
) -> None:
    posted = post_comment().json

    secret = app.extensions["commentsvc"].settings.secret_key
    expired, _until = edit_token(secret, posted["id"], datetime(2020, 1, 1, tzinfo=UTC), 1)

    answer = edit(client, posted, "too late", token=expired)

    assert answer.status_code == 409
    assert answer.json["error"]["message"] == "The time to change this comment is over."


def test_a_rejected_comment_can_no_longer_be_changed(
    client: Any, post_comment: Any, approve: Any
) -> None:
    posted = post_comment().json
    approve(posted["id"], "reject")

    assert edit(client, posted, "sneaky").status_code == 409
