"""The review endpoint as a moderator uses it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ARTICLE, comment_payload


def test_the_queue_shows_pending_comments_with_what_moderators_need(
    client: Any, post_comment: Any, auth: dict[str, str]
) -> None:
    comment_id = post_comment(email="reader@example.com").json["id"]

    response = client.get("/api/v1/moderation/queue?limit=5", headers=auth)

    assert response.status_code == 200
    [queued] = response.json["comments"]
    assert queued["id"] == comment_id
    assert queued["email"] == "reader@example.com"
    assert queued["url"] == ARTICLE
    assert queued["status"] == "pending"
    assert queued["spam"] == []


def test_spam_rules_give_their_reasons(make_app: Any, auth: dict[str, str]) -> None:
    # Only the reasons here: no comment is sure enough spam to leave the queue.
    client = make_app(spam_threshold=1.0).test_client()

    def post_comment(**changes: Any) -> Any:
        return client.post("/api/v1/comments", json=comment_payload(**changes))

    post_comment(body="Same words twice")
    post_comment(body="Same words twice")
    post_comment(body="http://a.example http://b.example https://c.example", email="l@example.com")
    post_comment(body="Cheap VIAGRA here", email="w@example.com")
    post_comment(body="I am a bot", email="bot@example.com", homepage="http://spam.example")

    queue = client.get("/api/v1/moderation/queue", headers=auth).json["comments"]
    reasons = [c["spam"] for c in sorted(queue, key=lambda c: c["id"])]

    assert reasons[0] == []
    assert [r.split(":")[0] for r in reasons[1]] == ["duplicate"]
    assert [r.split(":")[0] for r in reasons[2]] == ["links"]
    assert reasons[3] == ["blocked words: viagra"]
    assert [r.split(":")[0] for r in reasons[4]] == ["honeypot"]


def test_the_queue_is_limited_and_keeps_a_moderators_claims(
    client: Any, post_comment: Any, auth: dict[str, str]
) -> None:
    ids = [post_comment(body=f"comment {n}").json["id"] for n in range(5)]

    first = client.get("/api/v1/moderation/queue?limit=2", headers=auth).json["comments"]
    again = client.get("/api/v1/moderation/queue?limit=3", headers=auth).json["comments"]

    assert sorted(c["id"] for c in first) == ids[:2]
    assert sorted(c["id"] for c in again) == ids[:3]


@pytest.mark.parametrize(
    ("action", "status"), [("approve", "approved"), ("reject", "rejected"), ("spam", "spam")]
)
def test_a_decision_records_who_and_when_and_leaves_the_queue(
    client: Any, post_comment: Any, auth: dict[str, str], action: str, status: str
) -> None:
    comment_id = post_comment().json["id"]
    client.get("/api/v1/moderation/queue", headers=auth)

    decided = client.post(
        f"/api/v1/moderation/comments/{comment_id}", json={"action": action}, headers=auth
    )
    twice = client.post(
        f"/api/v1/moderation/comments/{comment_id}", json={"action": action}, headers=auth
    )

    assert decided.status_code == 200
    assert decided.json["id"] == comment_id
    assert decided.json["status"] == status
    assert decided.json["decided_by"] == "alice"
    assert decided.json["decided_at"].endswith("Z")
    assert twice.status_code == 200 and twice.json == decided.json
    assert client.get("/api/v1/moderation/queue", headers=auth).json["comments"] == []
    listed = client.get("/api/v1/comments", query_string={"url": ARTICLE}).json["total"]
    assert listed == (1 if action == "approve" else 0)


def test_an_approved_comment_can_be_taken_down_again(
    client: Any, post_comment: Any, approve: Any
) -> None:
    comment_id = post_comment().json["id"]
    approve(comment_id)
    assert client.get("/api/v1/comments", query_string={"url": ARTICLE}).json["total"] == 1

    approve(comment_id, "reject")

    assert client.get("/api/v1/comments", query_string={"url": ARTICLE}).json["total"] == 0


def test_delete_removes_a_comment_for_good(
    client: Any, post_comment: Any, approve: Any, auth: dict[str, str]
) -> None:
    comment_id = post_comment().json["id"]
    approve(comment_id)

    deleted = client.delete(f"/api/v1/moderation/comments/{comment_id}", headers=auth)
    again = client.delete(f"/api/v1/moderation/comments/{comment_id}", headers=auth)
    decide = client.post(
        f"/api/v1/moderation/comments/{comment_id}", json={"action": "approve"}, headers=auth
    )

    assert deleted.status_code == 204 and deleted.data == b""
    assert again.status_code == 404 and again.json["error"]["code"] == 404
    assert decide.status_code == 404
    assert client.get("/api/v1/comments", query_string={"url": ARTICLE}).json["total"] == 0


def test_a_deleted_pending_comment_leaves_the_queue(
    client: Any, post_comment: Any, auth: dict[str, str]
) -> None:
    gone, kept = (post_comment(body=f"c{n}").json["id"] for n in range(2))
    client.delete(f"/api/v1/moderation/comments/{gone}", headers=auth)

    queued = client.get("/api/v1/moderation/queue", headers=auth).json["comments"]

    assert [c["id"] for c in queued] == [kept]


def test_unknown_action_is_422_and_unknown_comment_is_404(
    client: Any, post_comment: Any, auth: dict[str, str]
) -> None:
    comment_id = post_comment().json["id"]

    bad = client.post(
        f"/api/v1/moderation/comments/{comment_id}", json={"action": "publish"}, headers=auth
    )
    missing = client.post(
        "/api/v1/moderation/comments/424242", json={"action": "approve"}, headers=auth
    )

    assert bad.status_code == 422
    assert "approve, reject or spam" in bad.json["error"]["fields"]["action"][0]
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == 404


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic YWxpY2U6eA=="},
        {"Authorization": "Bearer"},
    ],
)
def test_no_token_or_a_wrong_one_is_401_and_reveals_nothing(
    client: Any, post_comment: Any, moderator_token: str, headers: dict[str, str]
) -> None:
    comment_id = post_comment().json["id"]

    answers = [
        client.get("/api/v1/moderation/queue", headers=headers),
        client.post(
            f"/api/v1/moderation/comments/{comment_id}", json={"action": "approve"}, headers=headers
        ),
        client.delete(f"/api/v1/moderation/comments/{comment_id}", headers=headers),
        client.delete("/api/v1/moderation/comments/999999", headers=headers),
    ]

    for answer in answers:
        assert answer.status_code == 401
        assert answer.json == {
            "error": {"code": 401, "message": "A valid moderator token is required."}
        }
    assert client.get("/api/v1/comments", query_string={"url": ARTICLE}).json["total"] == 0
