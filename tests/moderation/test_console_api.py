"""The moderation API behind the console: listing and search, any-to-any decisions,
edits, bulk decisions, history and authors' trust, as a moderator uses them."""

from __future__ import annotations

from typing import Any

import pytest

from commentsvc.moderation.services import add_moderator
from tests.conftest import ARTICLE, SITE

OTHER_ARTICLE = f"{SITE}/2026/second"


def listed(client: Any, auth: dict[str, str], **query: Any) -> Any:
    answer = client.get("/api/v1/moderation/comments", query_string=query, headers=auth)
    assert answer.status_code == 200, answer.json
    return answer.json


def ids(answer: Any) -> list[int]:
    return [comment["id"] for comment in answer["comments"]]


def public_total(client: Any, url: str = ARTICLE) -> int:
    return int(client.get("/api/v1/comments", query_string={"url": url}).json["total"])


def count(client: Any, url: str = ARTICLE) -> int:
    return int(client.get("/api/v1/counts", query_string={"url": url}).json["counts"][url])


def test_the_list_is_newest_first_by_status_and_claims_nothing(
    client: Any, post_comment: Any, approve: Any, auth: dict[str, str]
) -> None:
    first, second, third = (post_comment(body=f"c{n}").json["id"] for n in range(3))
    approve(second)

    everything = listed(client, auth)
    waiting = listed(client, auth, status="pending")
    published = listed(client, auth, status="approved")

    assert ids(everything) == [third, second, first]
    assert ids(waiting) == [third, first]
    assert ids(published) == [second]
    item = published["comments"][0]
    assert item["decided_by"] == "alice" and item["decided_at"].endswith("Z")
    assert 0.0 <= item["spam_score"] < 0.5 and item["email"] == "ada@example.com"
    assert item["author_history"] == {"pending": 2}
    assert waiting["next_cursor"] is None
    # Listing claimed nothing: the queue still hands both out.
    queued = client.get("/api/v1/moderation/queue", headers=auth).json["comments"]
    assert [c["id"] for c in queued] == [first, third]


def test_cursor_pages_are_stable_while_comments_arrive(
    client: Any, post_comment: Any, auth: dict[str, str]
) -> None:
    made = [post_comment(body=f"c{n}").json["id"] for n in range(5)]

    page1 = listed(client, auth, limit=2)
    post_comment(body="arrived meanwhile")
    page2 = listed(client, auth, limit=2, cursor=page1["next_cursor"])
    page3 = listed(client, auth, limit=2, cursor=page2["next_cursor"])

    assert ids(page1) + ids(page2) + ids(page3) == made[::-1]
    assert page3["next_cursor"] is None
    bad = client.get("/api/v1/moderation/comments?cursor=%%%", headers=auth)
    assert bad.status_code == 422 and "cursor" in bad.json["error"]["fields"]


def test_search_by_text_name_email_and_article(
    client: Any, post_comment: Any, auth: dict[str, str]
) -> None:
    ada = post_comment(body="Queues are GREAT").json["id"]
    bob = post_comment(name="Bob Percent", email="Bob@Example.COM", body="100% agree_").json["id"]
    other = post_comment(url=OTHER_ARTICLE, email="carol@example.com", body="elsewhere").json["id"]

    assert ids(listed(client, auth, q="great")) == [ada]
    assert ids(listed(client, auth, q="percent")) == [bob]
    assert ids(listed(client, auth, q="%")) == [bob]  # a literal percent sign, not a wildcard
    assert ids(listed(client, auth, q="_")) == [bob]
    assert ids(listed(client, auth, email="Bob@example.com")) == [bob]
    assert ids(listed(client, auth, email="bob@example.com")) == []  # the local part is kept
    assert ids(listed(client, auth, url=OTHER_ARTICLE + "?utm_source=x#top")) == [other]
    bad = client.get("/api/v1/moderation/comments?email=nope&status=gone", headers=auth)
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) == {"email", "status"}


def test_a_reply_shows_its_parent(
    client: Any, post_comment: Any, approve: Any, auth: dict[str, str]
) -> None:
    parent = post_comment(body="The parent's text").json["id"]
    approve(parent)
    reply = post_comment(body="A reply", parent_id=parent, email="r@example.com").json["id"]

    [item] = listed(client, auth, email="r@example.com")["comments"]

    assert item["id"] == reply
    assert item["parent"] == {"id": parent, "author": "Ada Lovelace", "text": "The parent's text"}


@pytest.mark.parametrize(
    ("first", "then", "public"),
    [
        ("approve", "reject", 0),
        ("approve", "spam", 0),
        ("spam", "approve", 1),
        ("reject", "approve", 1),
    ],
)
def test_any_status_becomes_any_other_and_the_page_and_counts_follow_at_once(
    client: Any, post_comment: Any, approve: Any, first: str, then: str, public: int
) -> None:
    comment_id = post_comment().json["id"]
    approve(comment_id, first)
    # Read once so that the page and the count are cached before the change.
    assert public_total(client) == count(client) == (1 if first == "approve" else 0)

    answer = approve(comment_id, then)

    assert answer.json["status"] == {"approve": "approved", "reject": "rejected"}.get(then, then)
    assert public_total(client) == public
    assert count(client) == public


def test_a_decision_made_meanwhile_by_another_moderator_is_a_409(
    app: Any, client: Any, post_comment: Any, auth: dict[str, str]
) -> None:
    comment_id = post_comment().json["id"]
    with app.extensions["commentsvc"].database.sessions() as session:
        bob = {"Authorization": "Bearer " + add_moderator(session, "bob")}
    path = f"/api/v1/moderation/comments/{comment_id}"
    assert client.post(path, json={"action": "spam"}, headers=bob).status_code == 200

    late = client.post(path, json={"action": "approve", "expected_status": "pending"}, headers=auth)
    same = client.post(path, json={"action": "spam", "expected_status": "pending"}, headers=auth)

    assert late.status_code == 409
    assert late.json["error"]["message"] == "bob decided this comment meanwhile: it is spam now."
    assert late.json["error"]["status"] == "spam"
    assert same.status_code == 200  # the same decision: nothing to argue about
    assert public_total(client) == 0


def test_an_edit_is_rendered_published_at_once_and_in_the_history(
    client: Any, post_comment: Any, approve: Any, auth: dict[str, str]
) -> None:
    comment_id = post_comment(body="A tpyo here").json["id"]
    approve(comment_id)
    assert public_total(client) == 1
    path = f"/api/v1/moderation/comments/{comment_id}"

    edited = client.patch(path, json={"body": "A *typo* fixed  "}, headers=auth)
    blank = client.patch(path, json={"body": "\u200b "}, headers=auth)
    long = client.patch(path, json={"body": "x" * 10_001, "extra": 1}, headers=auth)

    assert edited.status_code == 200, edited.json
    assert edited.json["body"] == "A *typo* fixed"
    assert edited.json["html"] == "<p>A <em>typo</em> fixed</p>"
    page = client.get("/api/v1/comments", query_string={"url": ARTICLE}).json
    assert page["comments"][0]["html"] == "<p>A <em>typo</em> fixed</p>"
    assert blank.status_code == 422 and blank.json["error"]["fields"]["body"]
    assert long.status_code == 422 and set(long.json["error"]["fields"]) == {"body", "extra"}
    events = client.get(f"{path}/history", headers=auth).json["events"]
    assert [(e["action"], e["by"]) for e in events] == [
        ("posted", "Ada Lovelace"),
        ("approved", "alice"),
        ("edited", "alice"),
    ]
    assert events[2]["detail"] == {"old": "A tpyo here"}
    assert client.patch("/api/v1/moderation/comments/99999", json={"body": "x"},
                        headers=auth).status_code == 404  # fmt: skip


def test_history_shows_automatic_decisions_and_a_deleted_comment_is_gone(
    app: Any, client: Any, post_comment: Any, auth: dict[str, str]
) -> None:
    client.put("/api/v1/moderation/authors/ada@example.com", json={"trust": "trusted"},
               headers=auth)  # fmt: skip
    comment_id = post_comment().json["id"]
    path = f"/api/v1/moderation/comments/{comment_id}"
    client.post(path, json={"action": "reject"}, headers=auth)

    events = client.get(f"{path}/history", headers=auth).json["events"]
    client.delete(path, headers=auth)

    assert [(e["action"], e["by"]) for e in events] == [
        ("posted", "Ada Lovelace"),
        ("approved", "rule: trusted author"),
        ("rejected", "alice"),
    ]
    assert all(e["at"].endswith("Z") for e in events)
    assert client.get(f"{path}/history", headers=auth).status_code == 404
    from sqlalchemy import select

    from commentsvc.moderation.history import AuditEvent

    with app.extensions["commentsvc"].database.sessions() as session:
        deleted = session.scalar(select(AuditEvent).where(AuditEvent.action == "deleted"))
        assert deleted is not None and deleted.actor == "alice"
        assert deleted.comment_id == comment_id


def test_bulk_decides_each_and_reports_unknown_ids(
    client: Any, post_comment: Any, auth: dict[str, str], caplog: Any
) -> None:
    made = [post_comment(body=f"c{n}").json["id"] for n in range(3)]
    caplog.set_level("INFO", logger="commentsvc.audit")

    answer = client.post("/api/v1/moderation/bulk", json={"ids": [*made, 999], "action": "approve"},
                         headers=auth)  # fmt: skip
    too_many = client.post(
        "/api/v1/moderation/bulk",
        json={"ids": list(range(1, 102)), "action": "approve"},
        headers=auth,
    )
    nothing = client.post("/api/v1/moderation/bulk", json={"ids": [], "action": "publish"},
                          headers=auth)  # fmt: skip

    assert answer.status_code == 200
    assert answer.json == {"results": {**{str(i): "approved" for i in made}, "999": "not found"}}
    audit = [r.getMessage() for r in caplog.records if r.name == "commentsvc.audit"]
    assert [line.split(" detail=")[0] for line in audit] == [
        f"approved by alice comment={i}" for i in made
    ]
    assert public_total(client) == 3
    assert client.get("/api/v1/moderation/queue", headers=auth).json["comments"] == []
    assert too_many.status_code == 422 and "ids" in too_many.json["error"]["fields"]
    assert nothing.status_code == 422
    assert set(nothing.json["error"]["fields"]) == {"ids", "action"}


def test_trust_is_set_by_normalised_email_and_decides_the_next_comment(
    client: Any, post_comment: Any, auth: dict[str, str]
) -> None:
    blocked = client.put("/api/v1/moderation/authors/Spammer@EXAMPLE.com",
                         json={"trust": "blocked"}, headers=auth)  # fmt: skip
    trusted = client.put("/api/v1/moderation/authors/friend@example.com",
                         json={"trust": "trusted"}, headers=auth)  # fmt: skip
    bad = client.put("/api/v1/moderation/authors/not-an-email", json={"trust": "maybe"},
                     headers=auth)  # fmt: skip

    assert blocked.json == {"email": "Spammer@example.com", "trust": "blocked"}
    assert trusted.status_code == 200
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) >= {"email"}
    spam_id = post_comment(email="Spammer@example.com", body="buy").json["id"]
    post_comment(email="friend@example.com", body="hello")
    assert public_total(client) == 1
    assert ids(listed(client, auth, status="spam")) == [spam_id]
    summary = client.get("/api/v1/moderation/authors/Spammer@example.com", headers=auth).json
    assert summary == {"email": "Spammer@example.com", "trust": "blocked",
                       "comments": {"spam": 1}}  # fmt: skip
    [item] = listed(client, auth, status="spam")["comments"]
    assert item["author_trust"] == "blocked"


def test_every_new_endpoint_wants_the_token(client: Any, moderator_token: str) -> None:
    answers = [
        client.get("/api/v1/moderation/comments"),
        client.patch("/api/v1/moderation/comments/1", json={"body": "x"}),
        client.get("/api/v1/moderation/comments/1/history"),
        client.post("/api/v1/moderation/bulk", json={"ids": [1], "action": "approve"}),
        client.put("/api/v1/moderation/authors/a@example.com", json={"trust": "trusted"}),
        client.get("/api/v1/moderation/authors/a@example.com"),
        client.get("/api/v1/moderation/stream"),
    ]

    assert [answer.status_code for answer in answers] == [401] * len(answers)


def test_json_answers_are_never_sniffed_and_the_page_is_only_at_moderate(client: Any) -> None:
    client.get("/api/v1/counts", query_string={"url": ARTICLE})  # cached now
    answers = [
        client.get("/api/v1/counts", query_string={"url": ARTICLE}),  # the cached read
        client.get("/api/v1/comments", query_string={"url": ARTICLE}),
        client.get("/api/v1/moderation/queue"),
        client.get("/healthz"),
        client.get("/nothing-here"),
    ]
    page = client.get("/moderate")
    static_page = client.get("/static/moderate.html")

    for answer in answers:
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.request.path
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert static_page.status_code == 404
    assert static_page.json["error"]["message"] == "The moderation page is at /moderate."
    assert client.get("/static/moderate.js").status_code == 200
