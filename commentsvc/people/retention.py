"""Keeping personal data no longer than needed.

A comment's IP address serves one purpose: looking into abuse (rate limits, spam
waves) while it is fresh. After COMMENTSVC_IP_RETENTION_DAYS it is removed. The email
of a comment that was marked spam or rejected serves moderation only, and goes after
the same time (counted from the decision); approved and pending comments keep theirs,
which is what lets their authors ask for their data.

``RetentionJob`` is a background job: ``run_once`` does one pass and returns how many
comments it changed; run it every ``interval_seconds``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from commentsvc.comments.models import Comment, CommentStatus
from commentsvc.people.services import PLACEHOLDER_DOMAIN, placeholder_email
from commentsvc.store.database import utcnow

log = logging.getLogger(__name__)

# Rows changed per transaction: a long purge never holds the database's write lock
# (SQLite has one for the whole file) for longer than a moment.
BATCH = 500
DISCARDED = (CommentStatus.SPAM, CommentStatus.REJECTED)


class RetentionJob:
    name = "retention"
    interval_seconds = 3600.0

    def __init__(self, sessions: sessionmaker[Session], retention_days: int) -> None:
        self.sessions = sessions
        self.retention = timedelta(days=retention_days)

    def run_once(self) -> int:
        """Purge what is older than the retention time; returns the comments changed."""
        cutoff = utcnow() - self.retention
        addresses = self._purge(
            (Comment.remote_addr.is_not(None), Comment.created_at < cutoff),
            {"remote_addr": None},
        )
        emails = self._purge(
            (
                Comment.status.in_(DISCARDED),
                func.coalesce(Comment.decided_at, Comment.created_at) < cutoff,
                Comment.author_email.not_like(f"%@{PLACEHOLDER_DOMAIN}"),
            ),
            {"author_email": placeholder_email()},
        )
        if addresses or emails:
            log.info(
                "retention: removed %d IP addresses and %d emails of spam or rejected "
                "comments older than %d days", addresses, emails, self.retention.days,
            )  # fmt: skip
        return addresses + emails

    def _purge(self, conditions: tuple[ColumnElement[bool], ...], values: dict[str, object]) -> int:
        changed = 0
        while True:
            with self.sessions() as session:
                ids = list(session.scalars(select(Comment.id).where(*conditions).limit(BATCH)))
                if not ids:
                    return changed
                session.execute(update(Comment).where(Comment.id.in_(ids)).values(**values))
                session.commit()
            changed += len(ids)
