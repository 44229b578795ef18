"""Comments as moderators look them up: by status, text, author or article, newest
first, page by page; and what a moderator wants beside each one (the parent of a
reply, what the author wrote before, whether they are trusted or blocked).

Listing reads only: it claims nothing from the queue."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from commentsvc.comments.limits import MAX_ID
from commentsvc.comments.models import Comment, CommentStatus, Thread
from commentsvc.moderation.trust import Author, Trust
from commentsvc.web.errors import ServiceError

PARENT_TEXT_CHARS = 280


class BadCursor(ServiceError):
    code = 422
    message = "This cursor is not one the list gave: start again without it."

    def __init__(self) -> None:
        super().__init__(fields={"cursor": [self.message]})


@dataclass(frozen=True)
class Filters:
    status: CommentStatus | None = None
    url: str | None = None
    q: str | None = None
    email: str | None = None


@dataclass
class Reviewed:
    """A comment with what the moderator sees beside it; reads through to the comment."""

    comment: Comment
    parent: dict[str, Any] | None = None
    author_history: dict[str, int] = field(default_factory=dict)
    author_trust: str = Trust.NONE.value

    def __getattr__(self, name: str) -> Any:
        return getattr(self.comment, name)


def encode_cursor(comment_id: int) -> str:
    return base64.urlsafe_b64encode(str(comment_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor() from None
    if not 0 < value <= MAX_ID:
        raise BadCursor()
    return value


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _query(filters: Filters) -> Select[Comment]:
    query = select(Comment).options(joinedload(Comment.thread), joinedload(Comment.decided_by))
    if filters.status is not None:
        query = query.where(Comment.status == filters.status)
    if filters.email is not None:
        query = query.where(Comment.author_email == filters.email)
    if filters.url is not None:
        query = query.where(
            Comment.thread_id
            == select(Thread.id).where(Thread.url == filters.url).scalar_subquery()
        )
    if filters.q:
        pattern = _like(filters.q)
        query = query.where(
            or_(
                Comment.body.ilike(pattern, escape="\\"),
                Comment.author_name.ilike(pattern, escape="\\"),
            )
        )
    return query


def find_comments(
    session: Session, filters: Filters, limit: int, cursor: str | None = None
) -> tuple[list[Reviewed], str | None]:
    """A page of comments, newest first, and the cursor of the next page (None at the
    end). The cursor is the last id shown: comments posted meanwhile never shift the
    pages that follow."""
    query = _query(filters)
    if cursor:
        query = query.where(Comment.id < decode_cursor(cursor))
    comments = list(session.scalars(query.order_by(Comment.id.desc()).limit(limit + 1)).unique())
    more = len(comments) > limit
    comments = comments[:limit]
    next_cursor = encode_cursor(comments[-1].id) if more else None
    return annotate(session, comments), next_cursor


def annotate(session: Session, comments: list[Comment]) -> list[Reviewed]:
    """Each comment with its parent, its author's other comments counted by status,
    and the author's trust: three queries for the whole page, whatever its size."""
    if not comments:
        return []
    emails = {comment.author_email for comment in comments}
    counts: dict[str, dict[str, int]] = {email: {} for email in emails}
    for email, status, count in session.execute(
        select(Comment.author_email, Comment.status, func.count(Comment.id))
        .where(Comment.author_email.in_(emails))
        .group_by(Comment.author_email, Comment.status)
    ):
        counts[email][CommentStatus(status).value] = count
    trusts: dict[str, Trust] = {
        email: trust
        for email, trust in session.execute(
            select(Author.email, Author.trust).where(Author.email.in_(emails))
        )
    }
    parent_ids = {comment.parent_id for comment in comments if comment.parent_id}
    parents = {
        row.id: {"id": row.id, "author": row.author_name, "text": row.body[:PARENT_TEXT_CHARS]}
        for row in session.execute(
            select(Comment.id, Comment.author_name, Comment.body).where(Comment.id.in_(parent_ids))
        )
    }
    return [
        Reviewed(
            comment,
            parent=parents.get(comment.parent_id) if comment.parent_id else None,
            author_history=_others(counts[comment.author_email], comment.status),
            author_trust=Trust(trusts.get(comment.author_email, Trust.NONE)).value,
        )
        for comment in comments
    ]


def _others(counts: dict[str, int], own: CommentStatus) -> dict[str, int]:
    """The author's comments other than this one, by status."""
    others = dict(counts)
    others[own.value] = others.get(own.value, 0) - 1
    return {status: count for status, count in others.items() if count > 0}


def author_summary(session: Session, email: str) -> dict[str, Any]:
    """What the moderators know of an author: their trust and comments by status."""
    trust = session.scalar(select(Author.trust).where(Author.email == email)) or Trust.NONE
    counts = {
        CommentStatus(status).value: count
        for status, count in session.execute(
            select(Comment.status, func.count(Comment.id))
            .where(Comment.author_email == email)
            .group_by(Comment.status)
        )
    }
    return {"email": email, "trust": Trust(trust).value, "comments": counts}
