"""Comment creation, the public list and counts.

Services take their session, queue and cache as arguments; they raise
``commentsvc.web.errors`` exceptions and never build HTTP answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from marshmallow import ValidationError
from sqlalchemy import CursorResult, Table, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commentsvc.comments.models import Comment, CommentStatus, Thread
from commentsvc.comments.rendering import render
from commentsvc.comments.schemas import FORM_TOKEN_FIELD, HONEYPOT_FIELD, PublicCommentSchema
from commentsvc.comments.urls import InvalidURL, origin
from commentsvc.moderation import history
from commentsvc.moderation.queue import ModerationQueue
from commentsvc.moderation.trust import Trust, trust_column, trust_of
from commentsvc.notifications import outbox
from commentsvc.spam.pipeline import NewComment, SpamFilter
from commentsvc.store.cache import BuiltPage, Page, ThreadCache
from commentsvc.store.database import utcnow
from commentsvc.store.redis_failures import tolerated
from commentsvc.web.errors import Forbidden
from commentsvc.web.metrics import COMMENTS_POSTED

_public = PublicCommentSchema(many=True)


def check_site(sites: tuple[str, ...], url: Any) -> None:
    """403 for an article outside the configured sites (no list: every site is allowed)."""
    if not sites or not isinstance(url, str):
        return
    try:
        article_origin = origin(url)
    except InvalidURL:
        return  # the schema reports it, with every other bad field
    if article_origin not in sites:
        raise Forbidden("Comments are not enabled for this website.")


@dataclass(frozen=True)
class ArticleAndAuthor:
    thread_id: int
    duplicate: bool  # this reader already left this very comment on this article
    trust: Trust


# Built once, with its values bound at each post: the query every post makes.
_ARTICLE_AND_AUTHOR = select(
    Thread.id,
    select(Comment.id)
    .where(
        Comment.thread_id == Thread.id,
        Comment.author_email == bindparam("email"),
        Comment.body == bindparam("body"),
    )
    .exists(),
    trust_column(bindparam("email")),
).where(Thread.url == bindparam("url"))


def _article_and_author(session: Session, url: str, email: str, body: str) -> ArticleAndAuthor:
    """The article's thread id, created if it is new (race-free: two first comments
    on a new article end up in one thread), whether this is a duplicate, and what the
    moderators think of the author. One query for an article that has comments already."""
    # Run on the session's connection: these prebuilt statements need nothing of the
    # ORM's execution layer, which would add a good part of their cost per post.
    found = (
        session.connection()
        .execute(_ARTICLE_AND_AUTHOR, {"url": url, "email": email, "body": body})
        .first()
    )
    if found is not None:
        return ArticleAndAuthor(found[0], bool(found[1]), found[2] or Trust.NONE)
    # Each dialect's INSERT … ON CONFLICT, imported only for the database in use.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    session.execute(
        upsert(Thread)
        .values(url=url, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["url"])
    )
    thread_id = session.scalar(select(Thread.id).where(Thread.url == url))
    assert thread_id is not None
    return ArticleAndAuthor(thread_id, False, trust_of(session, email))


PARENT_PROBLEM = "You can only reply to a published comment on this article."


def parent_problem(session: Session, url: str, parent_id: int) -> str | None:
    """Why this comment cannot be replied to on this article, or None.

    The parent row is share-locked until the reply is committed (PostgreSQL), so a
    moderator rejecting it at the same moment waits, and the reply is either refused
    or committed before the rejection."""
    parent = session.scalar(
        select(Comment).where(Comment.id == parent_id).with_for_update(read=True)
    )
    if parent is None or parent.status != CommentStatus.APPROVED or parent.thread.url != url:
        return PARENT_PROBLEM
    return None


def _check_parent(session: Session, url: str, parent_id: int) -> None:
    if parent_problem(session, url, parent_id):
        session.rollback()
        raise ValidationError({"parent_id": [PARENT_PROBLEM]})


def with_parent_problem(session: Session, invalid: ValidationError) -> ValidationError:
    """The errors of a post the schema refused, with the parent's problem added if it
    has one, so that the reader hears of every bad field at once."""
    valid = invalid.valid_data if isinstance(invalid.valid_data, dict) else {}
    messages = invalid.messages
    if (
        isinstance(messages, dict)
        and "parent_id" not in messages
        and valid.get("parent_id")
        and "url" in valid
        and parent_problem(session, valid["url"], valid["parent_id"])
    ):
        return ValidationError({**messages, "parent_id": [PARENT_PROBLEM]})
    return invalid


@dataclass(frozen=True)
class PostedComment:
    """A comment just stored, as its author is answered."""

    id: int
    parent_id: int | None
    author: dict[str, str | None]
    html: str
    created_at: datetime
    status: CommentStatus
    url: str


# Built once: the one write every reader makes, run with only its values changing.
_INSERT_COMMENT = insert(cast(Table, Comment.__table__))


def create_comment(
    session: Session,
    queue: ModerationQueue,
    cache: ThreadCache,
    spam: SpamFilter,
    data: dict[str, Any],
    remote_addr: str | None,
) -> PostedComment:
    """Commit the comment as pending first, then queue it for moderation. If Redis is
    down the comment is kept all the same: the requeue sweep queues it later. The spam
    pipeline may decide instead of a moderator: a trusted author's comment is
    published at once; a blocked author's, or one the learned score is sure of, is
    spam. Neither waits in the queue.

    A reply's parent must be a published comment of the same article: checked here,
    under the parent's lock, before anything is written; ValidationError on
    ``parent_id`` if it is not.

    A plain INSERT rather than the ORM's unit of work: this is the one write every
    reader makes, and it needs nothing back but the id."""
    url = data["url"]
    if data.get("parent_id") is not None:
        _check_parent(session, url, data["parent_id"])
    article = _article_and_author(session, url, data["email"], data["body"])
    html = render(data["body"])
    verdict = spam.judge(
        NewComment(
            html=html,
            name=data["name"],
            email=data["email"],
            website=data.get("website"),
            address=remote_addr,
            trust=article.trust,
            duplicate=article.duplicate,
            honeypot_filled=bool(data.get(HONEYPOT_FIELD)),
            form_token=data.get(FORM_TOKEN_FIELD),
        )
    )
    status, decided_by = verdict.status, verdict.decided_by
    now = utcnow()
    values = {
        "thread_id": article.thread_id,
        "parent_id": data.get("parent_id"),
        "author_name": data["name"],
        "author_email": data["email"],
        "author_website": data.get("website"),
        "body": data["body"],
        "html": html,
        "status": status,
        "spam_reasons": verdict.reasons,
        "spam_score": verdict.score,
        "remote_addr": remote_addr,
        "notify_replies": bool(data.get("notify_replies")),
        "created_at": now,
        "decided_at": now if decided_by else None,
    }
    try:
        inserted = cast(
            "CursorResult[Any]",
            session.connection().execute(_INSERT_COMMENT, values),
        )
    except IntegrityError:
        session.rollback()
        if values["parent_id"] is None:
            raise
        # The parent row is gone since it was checked.
        raise ValidationError({"parent_id": [PARENT_PROBLEM]}) from None
    primary_key = inserted.inserted_primary_key
    assert primary_key is not None  # one row was inserted
    comment_id = int(primary_key[0])
    if values["parent_id"] is not None:
        # SQLite has no row locks, so a moderator may have rejected or deleted the
        # parent since it was checked. The reply's INSERT holds SQLite's write lock:
        # from here to the commit no decision can land, so a second look is final.
        # Without it a reply to a comment deleted meanwhile could even take the freed
        # id and become its own parent. (On PostgreSQL the share lock of
        # ``parent_problem`` already holds the parent.)
        _check_parent(session, url, values["parent_id"])
    if decided_by:
        history.record(session, status.value, decided_by, comment_id=comment_id,
                       detail={"spam_score": round(verdict.score, 3)})  # fmt: skip
    # Notifications: one INSERT more in this transaction, delivered by the worker.
    outbox.record_new_comment(
        session, comment_id, status,
        is_reply=values["parent_id"] is not None, notify_replies=values["notify_replies"],
    )  # fmt: skip
    session.commit()
    COMMENTS_POSTED.inc()
    if status == CommentStatus.PENDING:
        with tolerated("moderation queue push", f"comment {comment_id} queued by the sweep"):
            queue.push(comment_id)
    elif status == CommentStatus.APPROVED:
        invalidate_page(cache, url)
    return PostedComment(
        id=comment_id,
        parent_id=values["parent_id"],
        author={"name": values["author_name"], "website": values["author_website"]},
        html=values["html"],
        created_at=now,
        # A blocked author is not told: to them it waits like any other comment.
        status=status if status == CommentStatus.APPROVED else CommentStatus.PENDING,
        url=url,
    )


def _build_page(session: Session, url: str) -> BuiltPage:
    thread_id = session.scalar(select(Thread.id).where(Thread.url == url))
    rows: list[Any] = []
    if thread_id is not None:
        # Only the public columns, as plain rows: a popular article's page is built
        # without loading thousands of ORM objects (time, and memory kept afterwards).
        rows = list(
            session.execute(
                select(Comment.id, Comment.parent_id, Comment.author_name,
                       Comment.author_website, Comment.html, Comment.created_at)
                .where(Comment.thread_id == thread_id, Comment.status == CommentStatus.APPROVED)
                .order_by(Comment.id)
            )
        )  # fmt: skip
    comments = [
        {"id": row.id, "parent_id": row.parent_id, "html": row.html,
         "author": {"name": row.author_name, "website": row.author_website},
         "created_at": row.created_at}
        for row in rows
    ]  # fmt: skip
    public = _public.dump(comments)
    # A reply whose parent is no longer public (rejected, marked spam, or a race with
    # that decision) is shown at the top level rather than under a missing comment.
    shown = {comment["id"] for comment in public}
    for comment in public:
        if comment["parent_id"] not in shown:
            comment["parent_id"] = None
    body = orjson.dumps({"url": url, "total": len(public), "comments": public})
    return BuiltPage(body, len(public), exists=thread_id is not None)


def public_page(
    sessions: Callable[[], Session], cache: ThreadCache, url: str, if_none_match: str = ""
) -> Page:
    """The article's approved comments as JSON, and their ETag: from the cache when
    it holds the current page, else from the database (and then cached). The body is
    None when ``if_none_match`` is the current ETag: the reader has the page already.
    ``sessions`` gives the database session, only asked for on a cache miss."""
    return cache.page(url, lambda: _build_page(sessions(), url), if_none_match)


def invalidate_page(cache: ThreadCache, url: str) -> None:
    cache.invalidate(url)


def count_approved(
    sessions: Callable[[], Session], cache: ThreadCache, urls: list[str]
) -> dict[str, int]:
    """Approved comments per normalised article URL: from the cache, the rest in one
    query (then cached)."""
    return cache.counts(urls, lambda missing: _count_in_database(sessions(), missing))


def _count_in_database(session: Session, urls: list[str]) -> dict[str, int]:
    """Counts of the articles that have a thread; the others are not in the answer."""
    approved = func.count(Comment.id).filter(Comment.status == CommentStatus.APPROVED)
    rows = session.execute(
        select(Thread.url, approved)
        .outerjoin(Comment, Comment.thread_id == Thread.id)
        .where(Thread.url.in_(set(urls)))
        .group_by(Thread.url)
    )
    return {url: count for url, count in rows}
