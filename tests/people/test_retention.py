"""Personal data kept only as long as COMMENTSVC_IP_RETENTION_DAYS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from commentsvc.models import Comment
from commentsvc.people.retention import RetentionJob
from commentsvc.store.database import utcnow


def backdate(app: Any, comment_id: int, days: int, *, decided_days: int | None = None) -> None:
    with app.extensions["commentsvc"].database.sessions() as session:
        values: dict[str, Any] = {"created_at": utcnow() - timedelta(days=days)}
        if decided_days is not None:
            values["decided_at"] = utcnow() - timedelta(days=decided_days)
        session.execute(update(Comment).where(Comment.id == comment_id).values(**values))
        session.commit()


def stored(app: Any, comment_id: int) -> Comment:
    with app.extensions["commentsvc"].database.sessions() as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None
        return comment


def test_old_ips_and_old_emails_of_spam_and_rejected_comments_are_purged(
    app: Any, post_comment: Any, approve: Any
) -> None:
    old_approved = post_comment(body="old approved").json["id"]
    old_spam = post_comment(body="old spam").json["id"]
    old_rejected = post_comment(body="old rejected").json["id"]
    recently_rejected = post_comment(body="rejected last week").json["id"]
    recent = post_comment(body="recent").json["id"]
    approve(old_approved)
    approve(old_spam, "spam")
    approve(old_rejected, "reject")
    approve(recently_rejected, "reject")
    for comment_id in (old_approved, old_spam, old_rejected):
        backdate(app, comment_id, 120, decided_days=100)
    # Posted long ago, decided a week ago: its email is kept, counted from the decision.
    backdate(app, recently_rejected, 120, decided_days=7)
    backdate(app, recent, 30)
    job = RetentionJob(app.extensions["commentsvc"].database.sessions, retention_days=90)

    changed = job.run_once()
    again = job.run_once()

    assert (job.name, job.interval_seconds) == ("retention", 3600)
    # Four addresses, two emails.
    assert changed == 6 and again == 0
    assert [stored(app, i).remote_addr for i in (old_approved, old_spam, old_rejected)] == [
        None, None, None,
    ]  # fmt: skip
    assert stored(app, recently_rejected).remote_addr is None
    assert stored(app, recent).remote_addr == "127.0.0.1"
    assert stored(app, old_approved).author_email == "ada@example.com"
    assert stored(app, old_spam).author_email == f"erased-{old_spam}@erased.invalid"
    assert stored(app, old_rejected).author_email == f"erased-{old_rejected}@erased.invalid"
    assert stored(app, recently_rejected).author_email == "ada@example.com"
    assert stored(app, old_approved).author_name == "Ada Lovelace"
