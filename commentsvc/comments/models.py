"""Threads (one per article URL) and the comments in them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, Enum, Float, ForeignKey, Index, String, Text, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commentsvc.comments.limits import EMAIL_MAX, NAME_MAX, URL_COLUMN_MAX, WEBSITE_MAX
from commentsvc.store.database import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from commentsvc.moderation.models import Moderator


ORIGIN_MAX = 255


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"


class Thread(Base):
    """One article: every comment of the same normalised URL belongs here."""

    __tablename__ = "threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_COLUMN_MAX), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        # The public list and the counts read approved comments of one thread in order.
        Index("ix_comments_thread_status_id", "thread_id", "status", "id"),
        # The requeue sweep looks at pending comments.
        Index("ix_comments_status_created", "status", "created_at"),
        # The duplicate rule looks at a reader's earlier comments on the article.
        Index("ix_comments_thread_email", "thread_id", "author_email"),
        # Moderators look up an author's comments across articles, newest first.
        Index("ix_comments_author_email", "author_email", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    # A reply outlives a parent deleted for good: it moves to the top level.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    # A reader's edit of their published comment waits for moderation as a comment of
    # its own; approving it changes the published one (the revision itself goes).
    revises_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    author_name: Mapped[str] = mapped_column(String(NAME_MAX))
    author_email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    author_website: Mapped[str | None] = mapped_column(String(WEBSITE_MAX))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(
        Enum(
            CommentStatus,
            name="comment_status",
            values_callable=lambda statuses: [status.value for status in statuses],
            validate_strings=True,
        ),
        default=CommentStatus.PENDING,
    )
    spam_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # 0 (surely a person) .. 1 (surely spam); at COMMENTSVC_SPAM_THRESHOLD it is spam.
    spam_score: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    # The author asked for a mail when a reply to this comment is approved.
    notify_replies: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="SET NULL")
    )
    # Where an imported comment came from ("wordpress:SITE:POST:ID", "disqus:ID",
    # "isso:DATABASE:ID"): importing the same export again finds it and adds nothing.
    origin: Mapped[str | None] = mapped_column(String(ORIGIN_MAX), unique=True)
    thread: Mapped[Thread] = relationship()
    decided_by: Mapped[Moderator | None] = relationship()

    @property
    def author(self) -> dict[str, str | None]:
        return {"name": self.author_name, "website": self.author_website}
