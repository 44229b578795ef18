"""Events written in the transaction of the change that causes them.

Posting adds one Core INSERT to its transaction (nothing is read, nothing is sent):
the worker does the rest. An event committed is delivered; a change rolled back
takes its event with it.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from commentsvc.comments.models import CommentStatus
from commentsvc.notifications.models import EventKind, OutboxEvent
from commentsvc.store.database import utcnow

# Built once: posting runs it every time, with only its values changing.
_INSERT_EVENT = insert(cast(Table, OutboxEvent.__table__))


def record(session: Session, kind: EventKind, comment_id: int) -> None:
    """Add the event to the caller's transaction; the caller commits it."""
    values = {"kind": kind, "comment_id": comment_id, "created_at": utcnow()}
    session.connection().execute(_INSERT_EVENT, values)  # Core: see comments.services


def record_new_comment(
    session: Session,
    comment_id: int,
    status: CommentStatus,
    *,
    is_reply: bool,
    notify_replies: bool,
) -> None:
    """The event of a comment just posted, if it has one: a comment waiting for
    moderation; a comment published at once (a trusted author's) that is a reply, or
    whose author wants to hear about replies. A blocked author's spam has none."""
    if status == CommentStatus.PENDING:
        record(session, EventKind.PENDING, comment_id)
    elif status == CommentStatus.APPROVED and (is_reply or notify_replies):
        record(session, EventKind.APPROVED, comment_id)
