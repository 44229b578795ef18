"""Moderators: a name and the hash of a bearer token, never the token itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from commentsvc.comments.limits import MODERATOR_NAME_MAX
from commentsvc.store.database import Base, UTCDateTime, utcnow


class Moderator(Base):
    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MODERATOR_NAME_MAX), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Where notifications of waiting comments go; None: no mail.
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
