"""Deliveries kept as failed: listing them, and sending them again."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from commentsvc.notifications.models import Delivery, DeliveryStatus
from commentsvc.store.database import utcnow
from commentsvc.web.errors import NotFound


def failed_deliveries(session: Session) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery).where(Delivery.status == DeliveryStatus.FAILED).order_by(Delivery.id)
        )
    )


def retry_failed(session: Session, delivery_id: str | None = None) -> int:
    """Back to pending, due now, with a fresh retry period (the same delivery id).
    One delivery (by its delivery id or row id), or every failed one."""
    condition = Delivery.status == DeliveryStatus.FAILED
    if delivery_id is not None:
        by_id = Delivery.delivery_id == delivery_id
        if delivery_id.isdigit():
            by_id = by_id | (Delivery.id == int(delivery_id))
        condition = condition & by_id
    now = utcnow()
    changed = session.execute(
        update(Delivery)
        .where(condition)
        .values(status=DeliveryStatus.PENDING, next_attempt_at=now, retrying_since=now,
                lease_until=None, lease_owner=None)
    )  # fmt: skip
    session.commit()
    count = int(changed.rowcount)  # type: ignore[attr-defined]
    if delivery_id is not None and count == 0:
        raise NotFound(f"There is no failed delivery {delivery_id!r}.")
    return count
