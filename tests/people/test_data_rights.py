"""A person's data by email address: exported in full, erased from every page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from commentsvc.models import AuditEvent, Author, Comment
from tests.conftest import ARTICLE

OTHER_ARTICLE = ARTICLE + "-two"


def people(email: str) -> str:
    return f"/api/v1/moderation/people/{email}"


def database(app: Any) -> Any:
    return app.extensions["commentsvc"].database


def test_export_has_every_comment_of_the_address_in_every_status(
    client: Any, auth: dict[str, str], post_comment: Any, approve: Any
) -> None:
    approved = post_comment(email="ada@EXAMPLE.com").json["id"]
    spam = post_comment(url=OTHER_ARTICLE, body="Buy now").json["id"]
    post_comment(email="someone@example.com", body="not hers")
    approve(approved)
    approve(spam, "spam")

    # The address as typed: normalised as posting normalises it (the domain's case).
    answer = client.get(people("ada@Example.COM"), headers=auth)

    assert answer.status_code == 200
    assert answer.json["email"] == "ada@example.com"
    assert answer.json["trust"] == "none"
    comments = answer.json["comments"]
    assert [(c["id"], c["status"], c["url"]) for c in comments] == [
        (approved, "approved", ARTICLE),
        (spam, "spam", OTHER_ARTICLE),
    ]
    first = comments[0]
    assert first["body"] == "A *fine* article." and "<em>fine</em>" in first["html"]
    assert first["name"] == "Ada Lovelace" and first["website"] == "https://ada.example.org"
    assert first["ip"] == "127.0.0.1"
    assert first["created_at"].endswith("Z") and first["decided_at"].endswith("Z")


def test_unknown_bad_or_unauthorised_addresses(client: Any, auth: dict[str, str]) -> None:
    unknown = client.get(people("nobody@example.com"), headers=auth)
    erase_unknown = client.delete(people("nobody@example.com"), headers=auth)
    bad = client.get(people("not-an-address"), headers=auth)
    bad_flag = client.delete(people("ada@example.com?with_comments=maybe"), headers=auth)
    anonymous = client.get(people("ada@example.com"))

    assert unknown.status_code == erase_unknown.status_code == 404
    assert "No comments or other data" in unknown.json["error"]["message"]
    assert bad.status_code == 422 and "email" in bad.json["error"]["fields"]
    assert bad_flag.status_code == 422 and "with_comments" in bad_flag.json["error"]["fields"]
    assert anonymous.status_code == 401


def test_erasing_takes_the_name_off_the_public_page_at_once_and_keeps_the_text(
    app: Any, client: Any, auth: dict[str, str], post_comment: Any, approve: Any
) -> None:
    first = post_comment().json["id"]
    second = post_comment(body="Another thought").json["id"]
    kept = post_comment(name="Bob", email="bob@example.com", website=None, body="B").json["id"]
    for comment_id in (first, second, kept):
        approve(comment_id)
    with database(app).sessions() as session:
        session.merge(Author(email="ada@example.com", trust="trusted", changed_by="alice"))
        session.add(AuditEvent(email="ada@example.com", action="trust", actor="alice"))
        session.commit()
    # The page is cached now, with her name on it.
    assert "Ada Lovelace" in client.get("/api/v1/comments", query_string={"url": ARTICLE}).text

    erased = client.delete(people("ada@example.com"), headers=auth)
    page = client.get("/api/v1/comments", query_string={"url": ARTICLE}).json

    assert erased.status_code == 200
    assert erased.json == {
        "comments_anonymised": 2, "comments_deleted": 0, "trust_removed": True,
        "audit_events_anonymised": erased.json["audit_events_anonymised"], "articles": 1,
    }  # fmt: skip
    assert erased.json["audit_events_anonymised"] >= 1
    assert [(c["author"]["name"], c["author"]["website"]) for c in page["comments"]] == [
        ("Anonymous", None), ("Anonymous", None), ("Bob", None),
    ]  # fmt: skip
    assert "Another thought" in page["comments"][1]["html"]
    with database(app).sessions() as session:
        rows = session.scalars(select(Comment).where(Comment.id.in_([first, second]))).all()
        emails = {row.author_email for row in rows}
        events = session.scalars(select(AuditEvent)).all()
        assert session.get(Author, "ada@example.com") is None
    # A placeholder per comment, that says nothing about her.
    assert emails == {f"erased-{first}@erased.invalid", f"erased-{second}@erased.invalid"}
    assert all(row.remote_addr is None for row in rows)
    assert all(event.email != "ada@example.com" for event in events)
    erasure = [event for event in events if event.action == "erased"]
    assert len(erasure) == 1 and erasure[0].actor == "alice"
    assert erasure[0].email.startswith("hmac-sha256:")
    # Nothing is kept any more.
    assert client.get(people("ada@example.com"), headers=auth).status_code == 404


def test_erasing_with_comments_deletes_them_and_replies_move_up(
    app: Any, client: Any, auth: dict[str, str], post_comment: Any, approve: Any
) -> None:
    parent = post_comment().json["id"]
    approve(parent)
    reply = post_comment(name="Bob", email="bob@example.com", parent_id=parent).json["id"]
    approve(reply)
    pending = post_comment(body="still waiting").json["id"]
    assert client.get("/api/v1/comments", query_string={"url": ARTICLE}).json["total"] == 2

    erased = client.delete(people("ada@example.com?with_comments=true"), headers=auth)
    page = client.get("/api/v1/comments", query_string={"url": ARTICLE}).json
    queue = client.get("/api/v1/moderation/queue", headers=auth).json

    assert erased.status_code == 200
    assert erased.json["comments_deleted"] == 2 and erased.json["comments_anonymised"] == 0
    assert [(c["id"], c["parent_id"]) for c in page["comments"]] == [(reply, None)]
    assert pending not in [c["id"] for c in queue["comments"]]
    with database(app).sessions() as session:
        assert session.get(Comment, parent) is None and session.get(Comment, pending) is None
