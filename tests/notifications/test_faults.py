"""Every failure the queue survives, notifications survive too: the SMTP server
refusing for a while, a webhook answering 500, Redis restarted empty, a worker
killed mid-delivery. Every event is delivered, and duplicates carry one delivery id."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from commentsvc.moderation.services import add_moderator
from commentsvc.notifications.models import Delivery, DeliveryStatus
from tests.conftest import comment_payload
from tests.notifications.conftest import run_until, wait_for


def deliveries(app: Any) -> list[Delivery]:
    with app.extensions["commentsvc"].database.sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def add_mail_moderator(app: Any) -> None:
    with app.extensions["commentsvc"].database.sessions() as session:
        add_moderator(session, "alice", "mod@example.com")


def test_mail_refused_for_a_while_is_delivered_once_the_server_takes_it(
    live: Any, smtp_server: Any
) -> None:
    service = live()
    add_mail_moderator(service.app)
    job = service.job()
    smtp_server.handler.refusing = True
    service.app.test_client().post("/api/v1/comments", json=comment_payload())

    run_until(job, lambda: smtp_server.handler.refused >= 3)
    [waiting] = deliveries(service.app)
    assert waiting.status == DeliveryStatus.PENDING and waiting.attempts >= 3
    assert "451" in (waiting.last_error or "")

    smtp_server.handler.refusing = False
    [mail] = run_until(job, lambda: smtp_server.handler.to("mod@example.com"))
    assert mail["Message-ID"] == f"<{waiting.delivery_id}@example.com>"
    assert [delivery.status for delivery in deliveries(service.app)] == [DeliveryStatus.DELIVERED]


def test_a_webhook_answering_500_gets_the_same_signed_delivery_until_it_answers_200(
    live: Any, webhook_receiver: Any
) -> None:
    service = live(webhook_urls=(webhook_receiver.url,))
    webhook_receiver.answers = [500, 500]
    posted = service.app.test_client().post("/api/v1/comments", json=comment_payload())

    run_until(service.job(), webhook_receiver.delivered)
    received = webhook_receiver.received
    assert [request.headers["answered"] for request in received] == ["500", "500", "2xx"]
    assert len({request.headers["X-Commentsvc-Delivery"] for request in received}) == 1
    assert len({request.body for request in received}) == 1
    body = received[-1].body
    expected = "sha256=" + hmac.new(b"test", body, hashlib.sha256).hexdigest()
    assert received[-1].headers["X-Commentsvc-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "comment.pending"
    assert payload["comment"]["id"] == posted.json["id"]
    assert payload["comment"]["email"] == "ada@example.com"
    assert "Ada Lovelace" in payload["text"] and "\n" not in payload["text"]


def test_a_discord_webhook_gets_discords_shape(live: Any, webhook_receiver: Any) -> None:
    service = live(webhook_urls=(webhook_receiver.url + "?format=discord",))
    service.app.test_client().post("/api/v1/comments", json=comment_payload())

    [request] = run_until(service.job(), webhook_receiver.delivered)
    assert request.path == "/hook"
    assert set(json.loads(request.body)) == {"content"}


def test_comments_posted_around_a_redis_restart_are_all_notified(
    live: Any, redis_server_factory: Any, webhook_receiver: Any, smtp_server: Any
) -> None:
    redis = redis_server_factory()
    service = live(redis_url=redis.url, webhook_urls=(webhook_receiver.url,),
                   moderator_mail_interval_seconds=0.1)  # fmt: skip
    add_mail_moderator(service.app)
    client = service.app.test_client()
    assert client.post("/api/v1/comments", json=comment_payload(body="before")).status_code == 202
    redis.stop()
    assert client.post("/api/v1/comments", json=comment_payload(body="during")).status_code == 202
    redis.start()  # empty
    assert client.post("/api/v1/comments", json=comment_payload(body="after")).status_code == 202

    job = service.job()
    run_until(job, lambda: len(webhook_receiver.delivered()) == 3)
    bodies = {json.loads(request.body)["comment"]["body"] for request in webhook_receiver.received}
    assert bodies == {"before", "during", "after"}
    mailed = run_until(job, lambda: all(
        any(body in message.as_string() for message in smtp_server.messages)
        for body in ("before", "during", "after")
    ))  # fmt: skip
    assert mailed


def worker_environment(app: Any, tmp_path: Path, **extra: str) -> dict[str, str]:
    settings = app.extensions["commentsvc"].settings
    return {
        **os.environ,
        "COMMENTSVC_DATA_DIR": str(tmp_path / "worker"),
        "COMMENTSVC_DATABASE_URL": settings.database_url,
        "COMMENTSVC_SECRET_KEY": "test",
        "COMMENTSVC_WORKER_INTERVAL_SECONDS": "0.1",
        "COMMENTSVC_NOTIFICATION_RETRY_SECONDS": "0.1",
        "COMMENTSVC_NOTIFICATION_LEASE_SECONDS": "1",
        **extra,
    }


def test_a_worker_killed_mid_delivery_leaves_it_to_another_with_the_same_delivery_id(
    live: Any, webhook_receiver: Any, tmp_path: Path
) -> None:
    service = live(webhook_urls=(webhook_receiver.url,))
    environment = worker_environment(
        service.app, tmp_path, COMMENTSVC_WEBHOOK_URLS=webhook_receiver.url
    )
    webhook_receiver.hold.set()  # the first delivery hangs in the receiver
    service.app.test_client().post("/api/v1/comments", json=comment_payload())
    first = subprocess.Popen([sys.executable, "-m", "commentsvc.cli", "worker"], env=environment)
    try:
        wait_for(lambda: webhook_receiver.received, timeout=30)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    webhook_receiver.hold.clear()
    second = subprocess.Popen([sys.executable, "-m", "commentsvc.cli", "worker"], env=environment)
    try:
        wait_for(lambda: len(webhook_receiver.received) >= 2, timeout=30)
        wait_for(lambda: deliveries(service.app)[0].status == DeliveryStatus.DELIVERED)
    finally:
        second.terminate()
        assert second.wait(10) == 0  # a stop signal ends the worker cleanly

    ids = {request.headers["X-Commentsvc-Delivery"] for request in webhook_receiver.received}
    assert ids == {deliveries(service.app)[0].delivery_id}


def test_a_delivery_that_keeps_failing_is_kept_as_failed_counted_and_can_be_retried(
    live: Any, webhook_receiver: Any, tmp_path: Path
) -> None:
    service = live(webhook_urls=(webhook_receiver.url,), notification_give_up_seconds=0.3)
    webhook_receiver.answers = [500] * 10_000
    client = service.app.test_client()
    client.post("/api/v1/comments", json=comment_payload())
    job = service.job()
    run_until(job, lambda: deliveries(service.app)[0].status == DeliveryStatus.FAILED)

    environment = worker_environment(service.app, tmp_path)
    listed = subprocess.run(["commentsvc", "notifications", "failed"], env=environment,
                            capture_output=True, text=True, check=True)  # fmt: skip
    [failed] = deliveries(service.app)
    assert failed.delivery_id in listed.stdout and "500" in listed.stdout
    assert "commentsvc_notifications_failed 1.0" in client.get("/metrics").text
    assert client.get("/healthz").status_code == 200

    webhook_receiver.answers = []
    retry = ["commentsvc", "notifications", "retry", failed.delivery_id]
    retried = subprocess.run(retry, env=environment, capture_output=True, text=True, check=True)
    assert "1 deliveries" in retried.stdout
    run_until(job, webhook_receiver.delivered)
    assert deliveries(service.app)[0].status == DeliveryStatus.DELIVERED
    assert webhook_receiver.delivered()[0].headers["X-Commentsvc-Delivery"] == failed.delivery_id
    metrics = client.get("/metrics").text
    assert "commentsvc_notifications_failed 0.0" in metrics
    assert "commentsvc_notifications_delivered 1.0" in metrics


def test_several_workers_at_once_deliver_each_event_once(
    live: Any, webhook_receiver: Any, tmp_path: Path
) -> None:
    service = live(webhook_urls=(webhook_receiver.url,))
    client = service.app.test_client()
    for number in range(20):
        client.post("/api/v1/comments", json=comment_payload(body=f"comment {number}"))
    environment = worker_environment(
        service.app, tmp_path, COMMENTSVC_WEBHOOK_URLS=webhook_receiver.url,
        COMMENTSVC_NOTIFICATION_LEASE_SECONDS="60",
    )  # fmt: skip
    workers = [
        subprocess.Popen([sys.executable, "-m", "commentsvc.cli", "worker"], env=environment)
        for _ in range(3)
    ]
    try:
        wait_for(lambda: all(d.status == DeliveryStatus.DELIVERED for d in deliveries(service.app))
                 and len(deliveries(service.app)) == 20, timeout=120)  # fmt: skip
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(10)

    ids = [request.headers["X-Commentsvc-Delivery"] for request in webhook_receiver.received]
    assert len(ids) == len(set(ids)) == 20
