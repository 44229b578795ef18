"""The outbox: events written with the change that caused them, and the deliveries
the worker makes of them (one per recipient, each with its own retries)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from commentsvc.store.database import Base, UTCDateTime, utcnow


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    return Enum(
        kind,
        name=name,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
        native_enum=False,
        length=20,
    )


class EventKind(enum.StrEnum):
    # A comment waits for moderation: moderators' mail and webhooks.
    PENDING = "comment.pending"
    # A comment became public: reply mail to its parent's author, and its own
    # author's confirmation mail when they asked to hear about replies.
    APPROVED = "comment.approved"


class Channel(enum.StrEnum):
    MODERATOR_MAIL = "moderator_mail"
    CONFIRM_MAIL = "confirm_mail"
    REPLY_MAIL = "reply_mail"
    WEBHOOK = "webhook"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    # Nothing to send any more (the reader unsubscribed, the comment was deleted).
    CANCELLED = "cancelled"


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_unexpanded", "expanded_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "outbox_event_kind"))
    # No foreign key: an event outlives a comment deleted before it was delivered.
    comment_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set once the worker has made the event's deliveries.
    expanded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delivery(Base):
    __tablename__ = "notification_deliveries"
    __table_args__ = (
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
        Index("ix_notification_deliveries_target", "channel", "target", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sent with every attempt (X-Commentsvc-Delivery, Message-ID): a receiver that
    # gets one twice can tell.
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    # One delivery per event and recipient, however often an event is seen.
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_events.id", ondelete="SET NULL")
    )
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "notification_channel"))
    # An email address, or a webhook URL.
    target: Mapped[str] = mapped_column(String(2000))
    comment_id: Mapped[int] = mapped_column(Integer)
    # What is sent, fixed when the delivery is made: every retry sends the same.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Retries go on until this long after it (created, or retried by hand).
    retrying_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker holds the delivery until then; a killed worker's lease runs out.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubscriberStatus(enum.StrEnum):
    # Asked to confirm; nothing else is sent before.
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class Subscriber(Base):
    """A reader's address and whether it may get reply mail (double opt-in)."""

    __tablename__ = "subscribers"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    status: Mapped[SubscriberStatus] = mapped_column(_enum(SubscriberStatus, "subscriber_status"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UsedLink(Base):
    """Ids of one-use links already used: a second use changes nothing."""

    __tablename__ = "used_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
