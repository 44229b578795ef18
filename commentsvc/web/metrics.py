"""Prometheus metrics at ``/metrics``.

gunicorn runs several worker processes; with PROMETHEUS_MULTIPROC_DIR set (``serve``
sets it) every worker writes its counts there and a scrape adds them up, so the
figures are the service's, not one worker's. The queue figures are read from
Redis at scrape time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from commentsvc.moderation.queue import ModerationQueue
from commentsvc.store.redis_failures import REDIS_ERRORS, tolerated

COMMENTS_POSTED = Counter("commentsvc_comments_posted", "Comments accepted for moderation")
DECISIONS = Counter("commentsvc_decisions", "Moderation decisions", ["action"])
REQUEST_SECONDS = Histogram(
    "commentsvc_request_duration_seconds",
    "Time to answer a request",
    ["method", "endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

blueprint = Blueprint("metrics", __name__)


class QueueCollector(Collector):
    def __init__(self, queue: ModerationQueue) -> None:
        self.queue = queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        length, oldest_ms = None, None
        with tolerated("queue metrics", "queue figures left out of this scrape"):
            length = self.queue.length()
            oldest_ms = self.queue.oldest_entry_ms()
        if length is None:
            return
        yield GaugeMetricFamily(
            "commentsvc_moderation_queue_length", "Comments waiting on the moderation queue",
            value=length,
        )  # fmt: skip
        age = max(0.0, time.time() - oldest_ms / 1000) if oldest_ms else 0.0
        yield GaugeMetricFamily(
            "commentsvc_moderation_queue_oldest_age_seconds",
            "How long the oldest comment on the queue has waited",
            value=age,
        )


def _registry(queue: ModerationQueue) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in (COMMENTS_POSTED, DECISIONS, REQUEST_SECONDS, REDIS_ERRORS):
            registry.register(collector)
    registry.register(QueueCollector(queue))
    return registry


@blueprint.get("/metrics")
def metrics() -> Response:
    from commentsvc.deps import deps
    from commentsvc.notifications.metrics import NotificationsCollector

    registry = _registry(deps().queue)
    registry.register(NotificationsCollector(deps().database.sessions))
    body = generate_latest(registry)
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
