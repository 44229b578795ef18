"""A reader's own comment: changed or taken back within the edit window.

The proof that a reader wrote a comment is a token the service signed when it was
posted (``ID.EXPIRES.SIGNATURE``, HMAC-SHA256 with the secret key), kept by the
widget in the browser's storage and sent as ``Authorization: Bearer``: never a
cookie, so no other site can use it on the reader's behalf, and nothing is stored.

An edit of a comment still waiting is made in place. An edit of a published comment
is a comment of its own (``revises_id``) that waits for moderation like any other,
while the published text stays: approving it is what changes the published comment
(no approve-then-edit spam). Rejecting it leaves the published text as it was.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from redis.exceptions import RedisError
from sqlalchemy import CursorResult, delete, insert, select
from sqlalchemy.orm import Session

from commentsvc.comments.models import Comment, CommentStatus
from commentsvc.comments.rendering import render
from commentsvc.comments.services import invalidate_page
from commentsvc.moderation import history
from commentsvc.moderation.queue import ModerationQueue
from commentsvc.store.cache import ThreadCache
from commentsvc.store.database import utcnow
from commentsvc.web.errors import Forbidden, NotFound, ServiceError

log = logging.getLogger(__name__)

AUTHOR = "author"  # the actor of a reader's own changes in the history


class TooLate(ServiceError):
    code = 409
    message = "This comment can no longer be changed."


def _signature(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), f"edit:{payload}".encode(), hashlib.sha256).hexdigest()


def edit_token(secret: str, comment_id: int, posted_at: datetime, window_seconds: int
               ) -> tuple[str, datetime]:  # fmt: skip
    """The token of a comment just posted, and until when it works."""
    until = posted_at.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=window_seconds)
    payload = f"{comment_id}.{int(until.timestamp())}"
    return f"{payload}.{_signature(secret, payload)}", until


def check_token(secret: str, comment_id: int, token: str) -> None:
    """Forbidden unless ``token`` is this comment's and its window is still open."""
    comment, _, rest = token.partition(".")
    expires, _, signature = rest.partition(".")
    payload = f"{comment}.{expires}"
    if (
        comment != str(comment_id)
        or not expires.isdigit()
        or not hmac.compare_digest(signature, _signature(secret, payload))
    ):
        raise Forbidden("Only the author of this comment can change it.")
    if int(expires) < utcnow().timestamp():
        raise TooLate("The time to change this comment is over.")


@dataclass(frozen=True)
class OwnComment:
    comment: Comment
    edit_status: str | None  # "pending" while an edit of a published comment waits


def _own(session: Session, comment_id: int) -> Comment:
    comment = session.scalar(select(Comment).where(Comment.id == comment_id).with_for_update())
    if comment is None or comment.revises_id is not None:
        raise NotFound("This comment is no longer there.")
    if comment.status not in (CommentStatus.PENDING, CommentStatus.APPROVED):
        raise TooLate()
    return comment


def edit_own(session: Session, queue: ModerationQueue, comment_id: int, body: str) -> OwnComment:
    """Change the reader's comment (the token checked by the caller)."""
    comment = _own(session, comment_id)
    html = render(body)
    if comment.status == CommentStatus.PENDING:
        history.record(session, history.EDITED, AUTHOR, comment_id=comment.id,
                       detail={"before": comment.body})  # fmt: skip
        comment.body, comment.html = body, html
        session.commit()
        return OwnComment(comment, None)
    # Published: one waiting edit at a time, the newest replacing an older one.
    session.execute(delete(Comment).where(Comment.revises_id == comment.id))
    inserted = cast(
        "CursorResult[Any]",
        session.execute(
            insert(Comment).values(
                thread_id=comment.thread_id, parent_id=comment.parent_id, revises_id=comment.id,
                author_name=comment.author_name, author_email=comment.author_email,
                author_website=comment.author_website, body=body, html=html,
                status=CommentStatus.PENDING, spam_reasons=[], remote_addr=comment.remote_addr,
                created_at=utcnow(),
            )
        ),
    )  # fmt: skip
    primary_key = inserted.inserted_primary_key
    assert primary_key is not None  # one row was inserted
    revision = primary_key[0]
    session.commit()
    try:
        queue.push(int(revision))
    except RedisError as exc:
        log.warning("edit %s kept, queued once Redis answers: %s", revision, exc)
    return OwnComment(comment, CommentStatus.PENDING.value)


def delete_own(session: Session, queue: ModerationQueue, cache: ThreadCache, comment_id: int
               ) -> None:  # fmt: skip
    """Take the reader's comment back for good (replies move to the top level)."""
    comment = _own(session, comment_id)
    url = comment.thread.url
    ids = [comment.id, *session.scalars(select(Comment.id).where(Comment.revises_id == comment.id))]
    history.record(session, history.DELETED, AUTHOR, comment_id=comment.id)
    session.delete(comment)
    session.commit()
    for gone in ids:
        try:
            queue.remove(gone)
        except RedisError as exc:
            # The entry is dropped when next claimed: its comment is gone.
            log.warning("queue entry of %s removed later: %s", gone, exc)
    invalidate_page(cache, url)


def apply_revision(session: Session, revision: Comment) -> Comment | None:
    """In the transaction of a moderator approving ``revision``: its text becomes the
    published comment's, and the revision goes. Returns the changed comment, or None
    when ``revision`` is not an edit."""
    if revision.revises_id is None:
        return None
    published = session.get(Comment, revision.revises_id)
    if published is None:
        return None
    history.record(session, history.EDITED, AUTHOR, comment_id=published.id,
                   detail={"before": published.body})  # fmt: skip
    published.body, published.html = revision.body, revision.html
    session.delete(revision)
    return published
