"""A moderator's mark on an author decides their next comments at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from commentsvc.comments.models import Comment
from commentsvc.config import Settings
from commentsvc.moderation.history import history_of
from commentsvc.moderation.trust import Trust, set_trust, trust_of
from tests.conftest import ARTICLE


def _mark(app: Any, email: str, trust: Trust) -> None:
    with app.extensions["commentsvc"].database.sessions() as session:
        set_trust(session, email, trust, "alice")


def test_a_trusted_authors_comment_is_public_at_once(app: Any, client: Any, post_comment: Any,
                                                     auth: dict[str, str]) -> None:  # fmt: skip
    assert client.get("/api/v1/comments", query_string={"url": ARTICLE}).json["total"] == 0
    _mark(app, "ada@example.com", Trust.TRUSTED)

    answer = post_comment()

    assert answer.status_code == 202
    assert answer.json["status"] == "approved"
    thread = client.get("/api/v1/comments", query_string={"url": ARTICLE}).json
    assert [comment["id"] for comment in thread["comments"]] == [answer.json["id"]]
    assert client.get("/api/v1/moderation/queue", headers=auth).json["comments"] == []


def test_a_blocked_authors_comment_is_spam_never_public_nor_queued(
    app: Any, client: Any, post_comment: Any, auth: dict[str, str]
) -> None:
    _mark(app, "ada@example.com", Trust.BLOCKED)

    answer = post_comment(body="Buy my stuff")

    assert answer.status_code == 202
    assert answer.json["status"] == "pending"  # the spammer is not told
    assert client.get("/api/v1/comments", query_string={"url": ARTICLE}).json["total"] == 0
    assert client.get("/api/v1/moderation/queue", headers=auth).json["comments"] == []
    with app.extensions["commentsvc"].database.sessions() as session:
        comment = session.get(Comment, answer.json["id"])
        assert comment is not None and comment.status == "spam"
        events = history_of(session, comment.id, comment.created_at, comment.author_name)
    assert [(event.action, event.by) for event in events] == [
        ("posted", "Ada Lovelace"),
        ("spam", "rule: blocked author"),
    ]


def test_trust_none_forgets_the_mark_and_every_change_is_audited(app: Any) -> None:
    from sqlalchemy import select

    from commentsvc.moderation.history import AuditEvent

    _mark(app, "bob@example.com", Trust.BLOCKED)
    _mark(app, "bob@example.com", Trust.NONE)
    with app.extensions["commentsvc"].database.sessions() as session:
        assert trust_of(session, "bob@example.com") == Trust.NONE
        audit = session.scalars(select(AuditEvent).where(AuditEvent.email == "bob@example.com"))
        assert [(event.actor, event.detail) for event in audit] == [
            ("alice", {"trust": "blocked"}),
            ("alice", {"trust": "none"}),
        ]


def test_the_secret_key_is_kept_in_the_data_directory(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).with_secret_key()
    again = Settings(data_dir=tmp_path).with_secret_key()

    assert first.secret_key and first.secret_key == again.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert Settings(data_dir=tmp_path, secret_key="given").with_secret_key().secret_key == "given"
