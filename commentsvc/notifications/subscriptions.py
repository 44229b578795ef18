"""Readers' reply mail: double opt-in per address, one-click unsubscribe.

An address is asked to confirm once its first comment asking for replies is
published (not at posting: a stranger cannot make the service mail any address
by posting), and gets nothing else before it confirms.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from commentsvc.notifications.links import LINK_MAX_AGE_SECONDS
from commentsvc.notifications.models import Subscriber, SubscriberStatus
from commentsvc.store.database import utcnow


def status_of(session: Session, email: str) -> SubscriberStatus | None:
    subscriber = session.get(Subscriber, email)
    return subscriber.status if subscriber else None


def ask_to_confirm(session: Session, email: str) -> bool:
    """Whether a confirmation mail should go to this address now (it is then marked
    as asked). Not when it is confirmed already, nor when it was asked recently and
    that mail's link still works."""
    subscriber = session.get(Subscriber, email)
    now = utcnow()
    if subscriber is None:
        session.add(Subscriber(email=email, status=SubscriberStatus.PENDING, changed_at=now))
        return True
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return False
    if subscriber.status == SubscriberStatus.PENDING and subscriber.changed_at > now - timedelta(
        seconds=LINK_MAX_AGE_SECONDS
    ):
        return False
    subscriber.status = SubscriberStatus.PENDING
    subscriber.changed_at = now
    return True


def _set(session: Session, email: str, status: SubscriberStatus) -> None:
    subscriber = session.get(Subscriber, email)
    if subscriber is None:
        session.add(Subscriber(email=email, status=status, changed_at=utcnow()))
    elif subscriber.status != status:
        subscriber.status = status
        subscriber.changed_at = utcnow()
    session.commit()


def confirm(session: Session, email: str) -> None:
    """Idempotent. A confirmation link does not undo a later unsubscribe."""
    if status_of(session, email) != SubscriberStatus.UNSUBSCRIBED:
        _set(session, email, SubscriberStatus.CONFIRMED)


def unsubscribe(session: Session, email: str) -> None:
    _set(session, email, SubscriberStatus.UNSUBSCRIBED)
