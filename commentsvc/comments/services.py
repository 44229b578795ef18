"""Comment creation, the public list and counts.

Services take their session, queue and cache as arguments; they raise
``commentsvc.web.errors`` exceptions and never build HTTP answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from marshmallow import ValidationError
from redis.exceptions import RedisError
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commentsvc.comments.models import Comment, CommentStatus, Thread
from commentsvc.comments.rendering import render
from commentsvc.comments.schemas import FORM_TOKEN_FIELD, HONEYPOT_FIELD, PublicCommentSchema
from commentsvc.comments.urls import InvalidURL, normalize_article_url, origin_of
from commentsvc.moderation import history
from commentsvc.moderation.queue import ModerationQueue
from commentsvc.moderation.trust import Trust, trust_column, trust_of
from commentsvc.spam.pipeline import NewComment, SpamFilter
from commentsvc.store.cache import ThreadCache, etag_of
from commentsvc.store.database import utcnow
from commentsvc.web.errors import Forbidden
from commentsvc.web.metrics import COMMENTS_POSTED

log = logging.getLogger(__name__)

_public = PublicCommentSchema(many=True)


def check_site(sites: tuple[str, ...], url: Any) -> None:
    """403 for an article outside the configured sites (no list: every site is allowed)."""
    if not sites or not isinstance(url, str):
        return
    try:
        origin = origin_of(normalize_article_url(url))
    except InvalidURL:
        return  # the schema reports it, with every other bad field
    if origin not in sites:
        raise Forbidden("Comments are not enabled for this website.")


def find_thread(session: Session, url: str) -> Thread | None:
    return session.scalar(select(Thread).where(Thread.url == url))


@dataclass(frozen=True)
class ArticleAndAuthor:
    thread_id: int
    duplicate: bool  # this reader already left this very comment on this article
    trust: Trust


def _article_and_author(session: Session, url: str, email: str, body: str) -> ArticleAndAuthor:
    """The article's thread id, created if it is new (race-free: two first comments
    on a new article end up in one thread), whether this is a duplicate, and what the
    moderators think of the author. One query for an article that has comments already."""
    duplicate = (
        select(Comment.id)
        .where(Comment.thread_id == Thread.id, Comment.author_email == email,
               Comment.body == body)
        .exists()
    )  # fmt: skip
    found = session.execute(
        select(Thread.id, duplicate, trust_column(email)).where(Thread.url == url)
    ).first()
    if found is not None:
        return ArticleAndAuthor(found[0], bool(found[1]), found[2] or Trust.NONE)
    # Each dialect's INSERT … ON CONFLICT, imported only for the database in use.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(
        insert(Thread)
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


def _check_parent_again(session: Session, url: str, parent_id: int) -> None:
    """The schema checked the parent; SQLite has no row locks, so a moderator may have
    rejected or deleted it since. The reply's INSERT holds SQLite's write lock: from
    there to the commit no decision can land, so a second look is final. Without it a
    reply to a comment deleted meanwhile could even take the freed id and become its
    own parent. (On PostgreSQL the share lock of ``parent_problem`` already holds the
    parent.)"""
    if parent_problem(session, url, parent_id):
        session.rollback()
        raise ValidationError({"parent_id": [PARENT_PROBLEM]})


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

    A plain INSERT rather than the ORM's unit of work: this is the one write every
    reader makes, and it needs nothing back but the id."""
    url = data["url"]
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
        "created_at": now,
        "decided_at": now if decided_by else None,
    }
    try:
        inserted = session.execute(insert(Comment.__table__).values(values))
    except IntegrityError:
        session.rollback()
        if values["parent_id"] is None:
            raise
        # The parent row is gone since the schema looked.
        raise ValidationError({"parent_id": [PARENT_PROBLEM]}) from None
    comment_id = int(inserted.inserted_primary_key[0])
    if values["parent_id"] is not None:
        _check_parent_again(session, url, values["parent_id"])
    if decided_by:
        history.record(session, status.value, decided_by, comment_id=comment_id,
                       detail={"spam_score": round(verdict.score, 3)})  # fmt: skip
    session.commit()
    COMMENTS_POSTED.inc()
    if status == CommentStatus.PENDING:
        try:
            queue.push(comment_id)
        except RedisError as exc:
            log.warning("comment %s kept, queued once Redis answers: %s", comment_id, exc)
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


def _render_page(session: Session, url: str) -> tuple[bytes, int]:
    thread = find_thread(session, url)
    rows: list[Any] = []
    if thread is not None:
        # Only the public columns, as plain rows: a popular article's page is built
        # without loading thousands of ORM objects (time, and memory kept afterwards).
        rows = list(
            session.execute(
                select(Comment.id, Comment.parent_id, Comment.author_name,
                       Comment.author_website, Comment.html, Comment.created_at)
                .where(Comment.thread_id == thread.id, Comment.status == CommentStatus.APPROVED)
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
    return body, len(public)


def public_page(
    sessions: Callable[[], Session], cache: ThreadCache, url: str, if_none_match: str = ""
) -> tuple[str, bytes | None]:
    """The article's approved comments as JSON, and their ETag: from the cache when
    it holds the current page, else from the database (and then cached). The body is
    None when ``if_none_match`` is the current ETag: the reader has the page already.
    ``sessions`` gives the database session, only asked for on a cache miss."""
    try:
        cached = cache.page(url, if_none_match)
    except RedisError as exc:
        log.warning("thread cache unavailable, reading the database: %s", exc)
        body, _count = _render_page(sessions(), url)
        return etag_of(body), body
    if cached.etag is not None:
        return cached.etag, cached.body
    # One thread of this process builds a missing page; the others wait for it and
    # take it from the cache: a popular article's first read after a decision does
    # not run the same query once per waiting reader.
    with cache.filling(url):
        cached = cache.page(url, if_none_match)
        if cached.etag is not None:
            return cached.etag, cached.body
        body, count = _render_page(sessions(), url)
        etag = etag_of(body)
        try:
            cache.put_page(url, cached.generation, etag, body, count)
        except RedisError as exc:
            log.warning("thread cache unavailable: %s", exc)
    return etag, (None if etag == if_none_match else body)


def invalidate_page(cache: ThreadCache, url: str) -> None:
    try:
        cache.invalidate(url)
    except RedisError as exc:
        # Bounded all the same: cached pages expire after COMMENTSVC_THREAD_CACHE_SECONDS.
        log.warning("could not invalidate the cached page of %s: %s", url, exc)


def count_approved(
    sessions: Callable[[], Session], cache: ThreadCache, urls: list[str]
) -> dict[str, int]:
    """Approved comments per normalised article URL: from the cache, the rest in one
    query (then cached)."""
    try:
        found, generations = cache.counts(urls)
    except RedisError as exc:
        log.warning("count cache unavailable, reading the database: %s", exc)
        found, generations = {}, {}
    missing = [url for url in urls if url not in found]
    if missing:
        counted = _count_in_database(sessions(), missing)
        found.update(counted)
        try:
            cache.put_counts({url: (generations[url], counted[url]) for url in generations
                              if url in counted})  # fmt: skip
        except RedisError as exc:
            log.warning("count cache unavailable: %s", exc)
    return found


def _count_in_database(session: Session, urls: list[str]) -> dict[str, int]:
    rows = session.execute(
        select(Thread.url, func.count(Comment.id))
        .join(Comment, Comment.thread_id == Thread.id)
        .where(Thread.url.in_(set(urls)), Comment.status == CommentStatus.APPROVED)
        .group_by(Thread.url)
    )
    found = {url: count for url, count in rows}
    return {url: found.get(url, 0) for url in urls}
