"""Delivery figures for ``/metrics``, counted in the database at scrape time (every
worker and container shares it): pending, delivered and failed deliveries."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from commentsvc.notifications.models import Delivery, DeliveryStatus

SHOWN = (DeliveryStatus.PENDING, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


class NotificationsCollector(Collector):
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with self.sessions() as session:
                counts = dict(
                    session.execute(
                        select(Delivery.status, func.count()).group_by(Delivery.status)
                    ).all()
                )
        except SQLAlchemyError:
            return
        for status in SHOWN:
            yield GaugeMetricFamily(
                f"commentsvc_notifications_{status.value}",
                f"Notification deliveries (mail, webhooks) {status.value}",
                value=counts.get(status, 0),
            )
