"""Moderators, the queue as moderators see it, decisions, and the requeue sweep."""

from __future__ import annotations

import enum
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commentsvc.comments.limits import MAX_ID, MODERATOR_NAME_MAX
from commentsvc.comments.models import Comment, CommentStatus
from commentsvc.comments.own import apply_revision
from commentsvc.comments.rendering import render
from commentsvc.comments.services import invalidate_page
from commentsvc.moderation import history, live
from commentsvc.moderation.models import Moderator
from commentsvc.moderation.queue import ModerationQueue
from commentsvc.notifications import outbox
from commentsvc.notifications.models import EventKind
from commentsvc.spam import learning
from commentsvc.store.cache import ThreadCache
from commentsvc.store.database import utcnow
from commentsvc.store.redis_failures import tolerated
from commentsvc.web.errors import BadRequest, Conflict, NotFound
from commentsvc.web.metrics import DECISIONS


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


def add_moderator(session: Session, name: str, email: str | None = None) -> str:
    """Create a moderator (with the address notifications go to, if given); the token
    is returned once and only its hash is stored."""
    name = name.strip()
    if not name or len(name) > MODERATOR_NAME_MAX:
        raise BadRequest(f"A moderator name has 1 to {MODERATOR_NAME_MAX} characters.")
    if email is not None:
        email = _normalised_email(email)
    token = secrets.token_urlsafe(32)
    session.add(Moderator(name=name, token_hash=hash_token(token), email=email))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise BadRequest(f"There is already a moderator called {name!r}.") from None
    return token


def _normalised_email(email: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise BadRequest(f"{email!r} is not a valid email address: {exc}") from None


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
    """Pending comments claimed for this moderator, likely spam last. Entries whose comment
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
    return sorted(comments.values(), key=_likely_spam_last)[:limit]


def _likely_spam_last(comment: Comment) -> tuple[int, int]:
    """Likely spam sinks to the end; within a band of a tenth of the score, oldest
    first (smaller differences of score say nothing to a moderator)."""
    return int(comment.spam_score * 10), comment.id


def decide(
    session: Session,
    queue: ModerationQueue,
    cache: ThreadCache,
    moderator: Moderator,
    comment_id: int,
    action: Action,
    expected_status: CommentStatus | None = None,
) -> Comment:
    """Record the decision (who, when, in the history), then take the comment off the
    queue and refresh the article's cached page and count. Any status may become any
    other; deciding the same way twice is harmless. With ``expected_status`` (the
    status the moderator saw), a comment someone else decided since is a 409."""
    comment = _find(session, comment_id, for_update=True)
    url, previous = comment.thread.url, comment.status
    status = STATUS_OF_ACTION[action]
    # Conditional, so that of two moderators deciding at once only the first decision
    # is recorded, and both answers show it (SQLite has no row locks to serialise them).
    unchanged = [Comment.status != status]
    if expected_status is not None:
        unchanged.append(Comment.status == expected_status)
    decided_at = utcnow()
    changed = session.execute(  # type: ignore[attr-defined]
        update(Comment)
        .where(Comment.id == comment_id, *unchanged)
        .values(status=status, decided_at=decided_at, decided_by_id=moderator.id)
    ).rowcount
    revised = None
    if changed:
        history.record(session, status.value, moderator.name, comment_id=comment_id,
                       detail={"from": previous.value})  # fmt: skip
        learning.record_decision(session, comment, status, previous)
        # What else a decision changes goes here, in the same transaction.
        if status == CommentStatus.APPROVED:
            # A reader's edit of a published comment: it becomes the published text.
            revised = apply_revision(session, comment)
            if revised is None:
                # Reply mail to the parent's author, delivered by the worker.
                outbox.record(session, EventKind.APPROVED, comment_id)
    session.commit()
    if revised is not None:
        # The revision is gone: its answer shows the decision as it was stored.
        comment.status, comment.decided_at, comment.decided_by = status, decided_at, moderator
    else:
        session.refresh(comment)
    if not changed and comment.status != status:
        raise _decided_meanwhile(comment)
    # Also when nothing changed: deciding again after Redis failed mends the queue and
    # the cached page.
    _after_decision(queue, cache, comment.id, url)
    if changed:
        DECISIONS.labels(action.value).inc()
        # What follows a committed decision goes here.
        live.publish(queue.redis, "decided", id=comment.id, status=status.value,
                     by=moderator.name)  # fmt: skip
    return comment


def _decided_meanwhile(comment: Comment) -> Conflict:
    by = comment.decided_by.name if comment.decided_by else "Someone"
    return Conflict(
        f"{by} decided this comment meanwhile: it is {STATUS_WORDS[comment.status]} now.",
        status=comment.status.value,
    )


STATUS_WORDS = {
    CommentStatus.PENDING: "waiting",
    CommentStatus.APPROVED: "published",
    CommentStatus.REJECTED: "rejected",
    CommentStatus.SPAM: "spam",
}


def decide_many(
    session: Session,
    queue: ModerationQueue,
    cache: ThreadCache,
    moderator: Moderator,
    comment_ids: list[int],
    action: Action,
) -> dict[str, str]:
    """Each comment decided on its own (its own transaction, as one decision): a
    missing one is reported as ``"not found"`` and the others stand."""
    results: dict[str, str] = {}
    for comment_id in dict.fromkeys(comment_ids):
        try:
            comment = decide(session, queue, cache, moderator, comment_id, action)
        except NotFound:
            results[str(comment_id)] = "not found"
        else:
            results[str(comment_id)] = comment.status.value
    return results


def edit(
    session: Session, cache: ThreadCache, moderator: Moderator, comment_id: int, body: str
) -> Comment:
    """A moderator's correction: rendered like a reader's text; the old text is kept
    in the history. A published comment's page shows the new text at once."""
    comment = _find(session, comment_id, for_update=True)
    if body == comment.body:
        return comment
    history.record(session, history.EDITED, moderator.name, comment_id=comment_id,
                   detail={"old": comment.body})  # fmt: skip
    comment.body, comment.html = body, render(body)
    session.commit()
    if comment.status == CommentStatus.APPROVED:
        invalidate_page(cache, comment.thread.url)
    return comment


def comment_history(session: Session, comment_id: int) -> list[history.HistoryEntry]:
    comment = _find(session, comment_id)
    return history.history_of(session, comment.id, comment.created_at, comment.author_name)


def delete(
    session: Session,
    queue: ModerationQueue,
    cache: ThreadCache,
    moderator: Moderator,
    comment_id: int,
) -> None:
    comment = _find(session, comment_id)
    url, by = comment.thread.url, moderator.name
    history.record(session, history.DELETED, by, comment_id=comment_id, email=comment.author_email,
                   detail={"status": comment.status.value, "url": url})  # fmt: skip
    session.delete(comment)
    session.commit()
    DECISIONS.labels("delete").inc()
    _after_decision(queue, cache, comment_id, url)
    live.publish(queue.redis, "deleted", id=comment_id, by=by)


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
    # Should this fail, the entry is dropped when next claimed: its comment is no
    # longer pending.
    with tolerated("moderation queue removal", f"decision on {comment_id} kept"):
        queue.remove(comment_id)
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
