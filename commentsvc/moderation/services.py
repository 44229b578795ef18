"""Moderators, the queue as moderators see it, decisions, and the requeue sweep."""

from __future__ import annotations

import enum
import hashlib
import logging
import secrets

from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commentsvc.comments.models import Comment, CommentStatus
from commentsvc.comments.schemas import MAX_ID
from commentsvc.comments.services import invalidate_page
from commentsvc.moderation.models import Moderator
from commentsvc.moderation.queue import ModerationQueue
from commentsvc.store.cache import ThreadCache
from commentsvc.store.database import utcnow
from commentsvc.web.errors import BadRequest, NotFound
from commentsvc.web.metrics import DECISIONS

log = logging.getLogger(__name__)


class Action(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"


STATUS_OF_ACTION = {
    Action.APPROVE: CommentStatus.APPROVED,
    Action.REJECT: CommentStatus.REJECTED,
    Action.SPAM: CommentStatus.SPAM,
}


def hash_token(token: str) -> str:
    # Tokens are 256 random bits: a fast hash is enough, no salt or stretching needed.
    return hashlib.sha256(token.encode()).hexdigest()


def add_moderator(session: Session, name: str) -> str:
    """Create a moderator; the token is returned once and only its hash is stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise BadRequest("A moderator name has 1 to 100 characters.")
    token = secrets.token_urlsafe(32)
    session.add(Moderator(name=name, token_hash=hash_token(token)))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise BadRequest(f"There is already a moderator called {name!r}.") from None
    return token


def issue_token(session: Session, name: str) -> str:
    """A new token for the moderator; the old one stops working with this commit."""
    moderator = session.scalar(select(Moderator).where(Moderator.name == name))
    if moderator is None:
        raise NotFound(f"There is no moderator called {name!r}.")
    token = secrets.token_urlsafe(32)
    moderator.token_hash = hash_token(token)
    session.commit()
    return token


def remove_moderator(session: Session, name: str) -> None:
    moderator = session.scalar(select(Moderator).where(Moderator.name == name))
    if moderator is None:
        raise NotFound(f"There is no moderator called {name!r}.")
    session.delete(moderator)
    session.commit()


def list_moderators(session: Session) -> list[Moderator]:
    return list(session.scalars(select(Moderator).order_by(Moderator.name)))


def authenticate(session: Session, token: str) -> Moderator | None:
    if not token:
        return None
    return session.scalar(select(Moderator).where(Moderator.token_hash == hash_token(token)))


def claim_comments(
    session: Session, queue: ModerationQueue, moderator: Moderator, limit: int
) -> list[Comment]:
    """Pending comments claimed for this moderator, oldest first. Entries whose comment
    was decided or deleted meanwhile are taken off the queue and others claimed instead."""
    comments: dict[int, Comment] = {}
    for _attempt in range(10):
        # The moderator's held claims come first, so asking for ``limit`` again after
        # dropping stale entries tops the answer up with fresh ones.
        claims = queue.claim(moderator.name, limit)
        found = {
            comment.id: comment
            for comment in session.scalars(
                select(Comment).where(Comment.id.in_([claim.comment_id for claim in claims]))
            )
        }
        stale = 0
        for claim in claims:
            comment = found.get(claim.comment_id)
            if comment is not None and comment.status == CommentStatus.PENDING:
                comments[comment.id] = comment
            else:
                queue.remove(claim.comment_id)
                stale += 1
        # Claim again only to replace entries that turned out to be stale.
        if not stale:
            break
    return sorted(comments.values(), key=lambda comment: comment.id)[:limit]


def decide(
    session: Session,
    queue: ModerationQueue,
    cache: ThreadCache,
    moderator: Moderator,
    comment_id: int,
    action: Action,
) -> Comment:
    """Record the decision (who, when), then take the comment off the queue and
    refresh the article's cached page. Deciding the same way twice is harmless."""
    comment = _find(session, comment_id, for_update=True)
    url = comment.thread.url
    status = STATUS_OF_ACTION[action]
    # Conditional, so that of two moderators deciding at once only the first decision
    # is recorded, and both answers show it (SQLite has no row locks to serialise them).
    session.execute(
        update(Comment)
        .where(Comment.id == comment_id, Comment.status != status)
        .values(status=status, decided_at=utcnow(), decided_by_id=moderator.id)
    )
    session.commit()
    session.refresh(comment)
    DECISIONS.labels(action.value).inc()
    _after_decision(queue, cache, comment.id, url)
    return comment


def delete(session: Session, queue: ModerationQueue, cache: ThreadCache, comment_id: int) -> None:
    comment = _find(session, comment_id)
    url = comment.thread.url
    session.delete(comment)
    session.commit()
    DECISIONS.labels("delete").inc()
    _after_decision(queue, cache, comment_id, url)


def _find(session: Session, comment_id: int, *, for_update: bool = False) -> Comment:
    query = select(Comment).where(Comment.id == comment_id)
    comment = (
        session.scalar(query.with_for_update() if for_update else query)
        if 0 < comment_id <= MAX_ID
        else None
    )
    if comment is None:
        raise NotFound("There is no comment with this id.")
    return comment


def _after_decision(queue: ModerationQueue, cache: ThreadCache, comment_id: int, url: str) -> None:
    try:
        queue.remove(comment_id)
    except RedisError as exc:
        # The entry is dropped when next claimed: its comment is no longer pending.
        log.warning("decision on %s kept, queue entry removed later: %s", comment_id, exc)
    invalidate_page(cache, url)


def requeue_missing(session: Session, queue: ModerationQueue, batch: int = 500) -> int:
    """Put every pending comment that is not on the queue (back) on it: after Redis was
    down when it was posted, or came back without its data. Returns how many."""
    requeued = 0
    last_id = 0
    while True:
        ids = list(
            session.scalars(
                select(Comment.id)
                .where(Comment.status == CommentStatus.PENDING, Comment.id > last_id)
                .order_by(Comment.id)
                .limit(batch)
            )
        )
        if not ids:
            return requeued
        for comment_id in queue.missing(ids):
            queue.push(comment_id)
            requeued += 1
        last_id = ids[-1]
