"""A person's data, by email address: everything kept about them (export), and
taking it away (erase), as data-protection law gives commenters the right to ask.

An erased comment keeps its place in the thread (replies stay where they are) but
no longer says who wrote it: the name becomes ``Anonymous``, the email a placeholder
of its own that reveals nothing (``erased-ID@erased.invalid``), website and IP go.
With ``with_comments`` the comments go too, replies moving up as on a deletion.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import asdict, dataclass
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, String, cast, delete, literal, or_, select, update
from sqlalchemy.orm import Session

from commentsvc.comments.models import Comment, Thread
from commentsvc.comments.services import invalidate_page
from commentsvc.moderation import history
from commentsvc.moderation.queue import ModerationQueue
from commentsvc.moderation.trust import Author, trust_of
from commentsvc.notifications.models import Delivery, Subscriber
from commentsvc.store.cache import ThreadCache
from commentsvc.web.errors import NotFound

log = logging.getLogger(__name__)

ERASED_NAME = "Anonymous"
# .invalid can never be a real domain (RFC 2606): no mail is ever sent there.
PLACEHOLDER_DOMAIN = "erased.invalid"
NOTHING_KEPT = "No comments or other data are kept for this email address."


def placeholder_email() -> ColumnElement[str]:
    """The SQL expression of a comment's placeholder address, one per comment, so that
    whatever expects an address per comment (or a distinct one) still gets one."""
    return literal("erased-") + cast(Comment.id, String) + literal("@" + PLACEHOLDER_DOMAIN)


def erasure_reference(secret_key: str, email: str) -> str:
    """What the audit log keeps instead of the address: a keyed hash. It proves an
    erasure was done for an address someone names again, and tells nobody else which."""
    digest = hmac.new(secret_key.encode(), email.encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest[:32]}"


def export_person(session: Session, email: str) -> dict[str, Any]:
    """Every comment of the (normalised) address in every status, oldest first, and
    the author's trust mark. NotFound when nothing is kept about the address."""
    comments = list(
        session.scalars(
            select(Comment)
            .join(Comment.thread)
            .where(Comment.author_email == email)
            .order_by(Comment.id)
        )
    )
    trust = trust_of(session, email)
    if not comments and session.get(Author, email) is None:
        raise NotFound(NOTHING_KEPT)
    return {"email": email, "trust": trust, "comments": comments}


@dataclass(frozen=True)
class Erasure:
    comments_anonymised: int
    comments_deleted: int
    trust_removed: bool
    audit_events_anonymised: int
    articles: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def erase_person(
    session: Session,
    cache: ThreadCache | None,
    queue: ModerationQueue | None,
    email: str,
    by: str,
    secret_key: str,
    *,
    with_comments: bool = False,
) -> Erasure:
    """Remove the person's data in one transaction, record it in the audit log (with
    a keyed hash, never the address), then refresh the cached pages of every article
    they commented on, so their name leaves the public pages at once. ``cache`` and
    ``queue`` may be None (a command with no Redis): cached pages then expire within
    COMMENTSVC_THREAD_CACHE_SECONDS and stale queue entries are dropped when claimed."""
    rows = session.execute(
        select(Comment.id, Thread.url)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.author_email == email)
    ).all()
    author = session.get(Author, email)
    if not rows and author is None:
        raise NotFound(NOTHING_KEPT)
    ids = [row.id for row in rows]
    if with_comments:
        # Replies of these comments move to the top level (ON DELETE SET NULL).
        session.execute(delete(Comment).where(Comment.id.in_(ids)))
    else:
        session.execute(
            update(Comment)
            .where(Comment.id.in_(ids))
            .values(author_name=ERASED_NAME, author_email=placeholder_email(),
                    author_website=None, remote_addr=None)
        )  # fmt: skip
    if author is not None:
        session.delete(author)
    # Mail to the address, its reply-mail subscription, and what notifications kept of
    # these comments (webhook payloads hold the email too).
    session.execute(delete(Subscriber).where(Subscriber.email == email))
    session.execute(
        delete(Delivery).where(or_(Delivery.target == email, Delivery.comment_id.in_(ids)))
    )
    reference = erasure_reference(secret_key, email)
    # Trust changes name the person: they keep the reference instead.
    audit = session.execute(
        update(history.AuditEvent).where(history.AuditEvent.email == email).values(email=reference)
    )
    erasure = Erasure(
        comments_anonymised=0 if with_comments else len(ids),
        comments_deleted=len(ids) if with_comments else 0,
        trust_removed=author is not None,
        audit_events_anonymised=audit.rowcount,  # type: ignore[attr-defined]
        articles=len({row.url for row in rows}),
    )
    history.record(session, history.ERASED, by, email=reference, detail=erasure.as_dict())
    session.commit()
    for url in {row.url for row in rows}:
        if cache is not None:
            invalidate_page(cache, url)
    if with_comments and queue is not None:
        _drop_from_queue(queue, ids)
    return erasure


def _drop_from_queue(queue: ModerationQueue, ids: list[int]) -> None:
    try:
        for comment_id in ids:
            queue.remove(comment_id)
    except RedisError as exc:
        # Entries of deleted comments are dropped when next claimed.
        log.warning("erased comments stay on the queue until claimed: %s", exc)
