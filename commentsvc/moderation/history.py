"""What happened to each comment, and who did it: the audit log.

Every decision, edit, trust change and erasure is a row here, written in the same
transaction as the change itself, with the moderator's name or the rule that acted
(``"rule: spam score"``). A comment's own posting is not a row: it is read from the
comment (``created_at``), so posting, the hottest write, stays one INSERT.

Rows keep no foreign key to the comment: the record of a deletion outlives what was
deleted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from commentsvc.comments.limits import EMAIL_MAX
from commentsvc.store.database import Base, UTCDateTime, utcnow

log = logging.getLogger("commentsvc.audit")

POSTED = "posted"
APPROVED = "approved"
REJECTED = "rejected"
SPAM = "spam"
PENDING = "pending"
EDITED = "edited"
DELETED = "deleted"
TRUST = "trust"
ERASED = "erased"

RULE_PREFIX = "rule: "


def rule(name: str) -> str:
    """The actor of an automatic decision, e.g. ``rule("spam score")``."""
    return RULE_PREFIX + name


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_comment", "comment_id", "id"),
        Index("ix_audit_events_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int | None] = mapped_column(Integer)
    # The person concerned, for events about an author rather than a comment.
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


@dataclass(frozen=True)
class HistoryEntry:
    action: str
    by: str
    at: datetime
    detail: dict[str, Any] | None = None


def record(
    session: Session,
    action: str,
    by: str,
    *,
    comment_id: int | None = None,
    email: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an event to the session (the caller commits it with the change) and log it."""
    session.add(
        AuditEvent(
            comment_id=comment_id, email=email, action=action, actor=by, at=utcnow(),
            detail=detail,
        )
    )  # fmt: skip
    log.info("%s by %s comment=%s%s", action, by, comment_id, f" detail={detail}" if detail else "")


def history_of(session: Session, comment_id: int, posted_at: datetime, posted_by: str
               ) -> list[HistoryEntry]:  # fmt: skip
    """The comment's events, oldest first, starting with its posting."""
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.comment_id == comment_id).order_by(AuditEvent.id)
    )
    return [HistoryEntry(POSTED, posted_by, posted_at)] + [
        HistoryEntry(event.action, event.actor, event.at, event.detail) for event in events
    ]
