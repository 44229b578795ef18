"""The delivery worker: events become deliveries, deliveries are sent, at least once.

Any number of workers may run against one database. Each takes work by a lease:
candidates are read with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite
has one writer at a time anyway) and taken with a conditional UPDATE of the lease
column, so one worker gets each. A worker killed mid-delivery leaves its lease to
run out, and another worker sends it again, with the same delivery id.

A failed attempt is retried after COMMENTSVC_NOTIFICATION_RETRY_SECONDS, doubling
each time (with jitter, at most half an hour apart), until
COMMENTSVC_NOTIFICATION_GIVE_UP_SECONDS have passed; then the delivery is kept as
failed (``commentsvc notifications failed`` / ``retry``).
"""

from __future__ import annotations

import logging
import os
import random
import smtplib
import socket
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from commentsvc.comments.models import Comment, CommentStatus
from commentsvc.config import Settings
from commentsvc.moderation.models import Moderator
from commentsvc.notifications import compose, subscriptions, webhooks
from commentsvc.notifications.links import Links
from commentsvc.notifications.mail import Mail, Mailer, build_message, mailer_of
from commentsvc.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EventKind,
    OutboxEvent,
    SubscriberStatus,
)
from commentsvc.store.database import utcnow

log = logging.getLogger(__name__)

BATCH = 50
LONGEST_RETRY_DELAY_SECONDS = 1800.0
MAIL_CHANNELS = (Channel.MODERATOR_MAIL, Channel.CONFIRM_MAIL, Channel.REPLY_MAIL)


def public_url(settings: Settings) -> str:
    return settings.public_url or "http://localhost:8080"


def retry_delay(settings: Settings, attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: doubling, with
    ±25 % jitter so that many deliveries failing together do not retry together."""
    base = min(
        settings.notification_retry_seconds * 2 ** (attempts - 1), LONGEST_RETRY_DELAY_SECONDS
    )
    return float(base) * random.uniform(0.75, 1.25)


def _insert_ignoring_duplicates(session: Session, values: dict[str, Any]) -> None:
    # Each dialect's INSERT … ON CONFLICT: an event seen twice adds no second delivery.
    from sqlalchemy.dialects import postgresql, sqlite

    postgres = session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if postgres else sqlite.insert
    now = utcnow()
    row = {
        "delivery_id": str(uuid.uuid4()), "status": DeliveryStatus.PENDING, "attempts": 0,
        "next_attempt_at": now, "retrying_since": now, "created_at": now, **values,
    }  # fmt: skip
    session.execute(
        insert(Delivery).values(row).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


class DeliveryJob:
    """The notifications job of ``commentsvc worker``."""

    name = "notifications"

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        assert settings.secret_key, "the worker signs links and webhooks with the secret key"
        self.settings = settings
        self.sessions = sessions
        self.interval_seconds = settings.worker_interval_seconds
        self.mailer: Mailer | None = mailer_of(settings)
        self.links = Links(settings.secret_key, public_url(settings))
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def run_once(self) -> int:
        """Expand new events, then send what is due; returns how many were handled."""
        with self.sessions() as session:
            handled = self.expand_events(session)
        # A few rounds, then back to the loop: other jobs get their turn.
        for _round in range(10):
            with self.sessions() as session:
                claimed = self._claim(session)
                if not claimed:
                    break
                for group in claimed:
                    self._deliver(session, group)
                    handled += len(group)
        return handled

    # -- events → deliveries ------------------------------------------------------

    def expand_events(self, session: Session) -> int:
        expanded = 0
        events = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.expanded_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for event in events:
            taken = session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == event.id, OutboxEvent.expanded_at.is_(None))
                .values(expanded_at=utcnow())
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                self._expand(session, event)
                expanded += 1
        session.commit()
        return expanded

    def _expand(self, session: Session, event: OutboxEvent) -> None:
        comment = session.get(Comment, event.comment_id)
        if comment is None:
            return
        if event.kind == EventKind.PENDING and comment.status == CommentStatus.PENDING:
            self._expand_pending(session, event, comment)
        elif event.kind == EventKind.APPROVED and comment.status == CommentStatus.APPROVED:
            self._expand_approved(session, event, comment)

    def _expand_pending(self, session: Session, event: OutboxEvent, comment: Comment) -> None:
        if self.mailer is not None:
            moderators = session.scalars(select(Moderator).where(Moderator.email.is_not(None)))
            for moderator in moderators:
                assert moderator.email is not None
                _insert_ignoring_duplicates(session, {
                    "dedupe_key": f"moderator:{comment.id}:{moderator.id}",
                    "event_id": event.id, "channel": Channel.MODERATOR_MAIL,
                    "target": moderator.email, "comment_id": comment.id,
                    "payload": {"moderator_id": moderator.id},
                    "next_attempt_at": self._next_moderator_mail(session, moderator.email),
                })  # fmt: skip
        if self.settings.webhook_urls:
            item, text = compose.queue_item(comment), compose.summary(comment)
            for url in self.settings.webhook_urls:
                target, body = webhooks.target_and_body(url, event.kind.value, item, text)
                _insert_ignoring_duplicates(session, {
                    "dedupe_key": f"webhook:{comment.id}:{url}"[:300], "event_id": event.id,
                    "channel": Channel.WEBHOOK, "target": target, "comment_id": comment.id,
                    "payload": {"body": body.decode()},
                })  # fmt: skip

    def _next_moderator_mail(self, session: Session, email: str) -> datetime:
        """Now, or a minute after the last mail to this moderator: what arrives in
        between goes out together, as one digest."""
        last = session.scalar(
            select(func.max(Delivery.delivered_at)).where(
                Delivery.channel == Channel.MODERATOR_MAIL, Delivery.target == email
            )
        )
        now = utcnow()
        if last is None:
            return now
        return max(now, last + timedelta(seconds=self.settings.moderator_mail_interval_seconds))

    def _expand_approved(self, session: Session, event: OutboxEvent, comment: Comment) -> None:
        if self.mailer is None:
            return
        parent = session.get(Comment, comment.parent_id) if comment.parent_id else None
        if (
            parent is not None
            and parent.notify_replies
            and parent.author_email != comment.author_email
            and subscriptions.status_of(session, parent.author_email) == SubscriberStatus.CONFIRMED
        ):
            _insert_ignoring_duplicates(session, {
                "dedupe_key": f"reply:{comment.id}:{parent.author_email}", "event_id": event.id,
                "channel": Channel.REPLY_MAIL, "target": parent.author_email,
                "comment_id": comment.id, "payload": {"parent_id": parent.id},
            })  # fmt: skip
        if comment.notify_replies and subscriptions.ask_to_confirm(session, comment.author_email):
            _insert_ignoring_duplicates(session, {
                "dedupe_key": f"confirm:{comment.id}", "event_id": event.id,
                "channel": Channel.CONFIRM_MAIL, "target": comment.author_email,
                "comment_id": comment.id, "payload": {},
            })  # fmt: skip

    # -- claiming -----------------------------------------------------------------

    def _claim(self, session: Session) -> list[list[Delivery]]:
        """Due deliveries, leased to this worker; a moderator's waiting mails come as
        one group (one digest)."""
        now = utcnow()
        free = or_(Delivery.lease_until.is_(None), Delivery.lease_until < now)
        candidates = session.scalars(
            select(Delivery)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now, free)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        lease = {"lease_until": now + timedelta(seconds=self.settings.notification_lease_seconds),
                 "lease_owner": self.owner}  # fmt: skip
        grouped: set[str] = set()
        for delivery in candidates:
            if delivery.channel == Channel.MODERATOR_MAIL:
                if delivery.target in grouped:
                    continue
                grouped.add(delivery.target)
                # Every waiting mail of this moderator, due or not: one digest.
                condition = (
                    (Delivery.channel == Channel.MODERATOR_MAIL)
                    & (Delivery.target == delivery.target)
                    & (Delivery.status == DeliveryStatus.PENDING)
                )
            else:
                condition = (Delivery.id == delivery.id) & (
                    Delivery.status == DeliveryStatus.PENDING
                )
            # Skipping rows another worker holds (PostgreSQL): two workers taking
            # the same moderator's mails never wait for each other.
            ids = session.scalars(
                select(Delivery.id).where(condition, free).with_for_update(skip_locked=True)
            ).all()
            if ids:
                session.execute(
                    update(Delivery).where(Delivery.id.in_(ids), condition, free).values(**lease)
                )
        session.commit()
        mine = session.scalars(
            select(Delivery)
            .where(Delivery.lease_owner == self.owner, Delivery.status == DeliveryStatus.PENDING,
                   Delivery.lease_until > now)
            .order_by(Delivery.id)
            .execution_options(populate_existing=True)
        ).all()  # fmt: skip
        groups: list[list[Delivery]] = []
        for delivery in mine:
            if delivery.channel != Channel.MODERATOR_MAIL:
                groups.append([delivery])
        by_moderator: dict[str, list[Delivery]] = {}
        for delivery in mine:
            if delivery.channel == Channel.MODERATOR_MAIL:
                by_moderator.setdefault(delivery.target, []).append(delivery)
        return groups + list(by_moderator.values())

    # -- sending ------------------------------------------------------------------

    def _deliver(self, session: Session, group: Sequence[Delivery]) -> None:
        try:
            sent = self._send(session, group)
        except Exception as exc:  # noqa: BLE001 - any failure is retried, and logged
            self._failed(session, group, exc)
            return
        now = utcnow()
        status = DeliveryStatus.DELIVERED if sent else DeliveryStatus.CANCELLED
        self._finish(session, group, status=status, delivered_at=now if sent else None,
                     last_error=None)  # fmt: skip
        if sent:
            log.info("delivered %s to %s (%d)", group[0].channel.value, group[0].target, len(group))

    def _send(self, session: Session, group: Sequence[Delivery]) -> bool:
        """Send; False when there is nothing to send any more."""
        first = group[0]
        if first.channel == Channel.WEBHOOK:
            webhooks.post(
                first.target, first.payload["body"].encode(), self._secret, first.delivery_id
            )
            return True
        mail = self._mail(session, group)
        if mail is None:
            return False
        assert self.mailer is not None
        self.mailer.send(build_message(mail, self.mailer.sender, first.delivery_id))
        return True

    @property
    def _secret(self) -> str:
        assert self.settings.secret_key
        return self.settings.secret_key

    def _mail(self, session: Session, group: Sequence[Delivery]) -> Mail | None:
        if self.mailer is None:
            raise RuntimeError("COMMENTSVC_SMTP_URL and COMMENTSVC_MAIL_FROM are not set")
        first = group[0]
        comment = session.get(Comment, first.comment_id)
        if first.channel == Channel.MODERATOR_MAIL:
            # Only what still waits: a comment decided meanwhile is left out.
            waiting = [
                found
                for delivery in group
                if (found := session.get(Comment, delivery.comment_id)) is not None
                and found.status == CommentStatus.PENDING
            ]
            if not waiting:
                return None
            return compose.moderator_mail(
                self.links, first.payload["moderator_id"], first.target, waiting
            )
        if comment is None:
            return None
        if first.channel == Channel.CONFIRM_MAIL:
            if subscriptions.status_of(session, first.target) != SubscriberStatus.PENDING:
                return None
            return compose.confirm_mail(self.links, comment)
        # A reply: only to a confirmed address (an unsubscribe since stops it).
        parent = session.get(Comment, first.payload["parent_id"])
        if (
            parent is None
            or comment.status != CommentStatus.APPROVED
            or subscriptions.status_of(session, first.target) != SubscriberStatus.CONFIRMED
        ):
            return None
        return compose.reply_mail(self.links, first.target, comment, parent)

    def _failed(self, session: Session, group: Sequence[Delivery], exc: Exception) -> None:
        session.rollback()
        now = utcnow()
        give_up = timedelta(seconds=self.settings.notification_give_up_seconds)
        error = _describe(exc)
        for delivery in group:
            attempts = delivery.attempts + 1
            if now - delivery.retrying_since >= give_up:
                self._finish(session, [delivery], status=DeliveryStatus.FAILED,
                             attempts=attempts, last_error=error)  # fmt: skip
                log.error("giving up on %s %s to %s after %d attempts: %s",
                          delivery.channel.value, delivery.delivery_id, delivery.target,
                          attempts, error)  # fmt: skip
            else:
                delay = timedelta(seconds=retry_delay(self.settings, attempts))
                self._finish(session, [delivery], status=DeliveryStatus.PENDING,
                             attempts=attempts, last_error=error,
                             next_attempt_at=now + delay)  # fmt: skip
                log.warning("%s %s to %s failed (attempt %d), retried in %.0f s: %s",
                            delivery.channel.value, delivery.delivery_id, delivery.target,
                            attempts, delay.total_seconds(), error)  # fmt: skip

    def _finish(self, session: Session, group: Sequence[Delivery], **values: Any) -> None:
        # Only while the lease is still this worker's: past it, another worker owns it.
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_([delivery.id for delivery in group]),
                   Delivery.lease_owner == self.owner)
            .values(lease_until=None, lease_owner=None, **values)
        )  # fmt: skip
        session.commit()


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:1000]
    return f"{type(exc).__name__}: {exc}"[:1000]
