"""Authors moderators know: trusted ones are published at once, blocked ones never.

One row per normalised email address that a moderator marked; an address without
a row is ``none`` (the usual path: moderation decides)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from commentsvc.comments.limits import EMAIL_MAX
from commentsvc.moderation import history
from commentsvc.store.database import Base, UTCDateTime, utcnow


class Trust(enum.StrEnum):
    TRUSTED = "trusted"
    BLOCKED = "blocked"
    NONE = "none"


class Author(Base):
    __tablename__ = "authors"

    email: Mapped[str] = mapped_column(String(EMAIL_MAX), primary_key=True)
    trust: Mapped[Trust] = mapped_column(
        Enum(
            Trust,
            name="author_trust",
            values_callable=lambda values: [value.value for value in values],
            validate_strings=True,
        )
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(120))


def trust_column(email: Any):  # type: ignore[no-untyped-def]
    """A scalar subquery of the author's trust (NULL for none), to fold into a
    query the caller makes anyway."""
    return select(Author.trust).where(Author.email == email).scalar_subquery()


def trust_of(session: Session, email: str) -> Trust:
    found = session.scalar(select(Author.trust).where(Author.email == email))
    return found or Trust.NONE


def set_trust(session: Session, email: str, trust: Trust, by: str) -> Trust:
    """Mark an author (``none`` forgets the mark); recorded in the audit log. Commits."""
    author = session.get(Author, email)
    if trust == Trust.NONE:
        if author is not None:
            session.delete(author)
    elif author is None:
        session.add(Author(email=email, trust=trust, changed_at=utcnow(), changed_by=by))
    else:
        author.trust, author.changed_at, author.changed_by = trust, utcnow(), by
    history.record(session, history.TRUST, by, email=email, detail={"trust": trust.value})
    session.commit()
    return trust
