"""Real receivers for notifications: an SMTP server (aiosmtpd) and an HTTP server for
webhooks, both on free ports of 127.0.0.1; and the app served over real HTTP with
its public address set to where it listens."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from werkzeug.serving import make_server

from commentsvc.notifications.delivery import DeliveryJob
from commentsvc.runtime.embedded_redis import free_port

MAIL_FROM = "Comments <comments@example.com>"


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, step: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(step)
    raise AssertionError("condition not met in time")


class MailHandler:
    """Keeps every message; answers 451 (try again later) while ``refusing``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refusing = False
        self.refused = 0

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.refusing:
            self.refused += 1
            return "451 4.3.0 Mailbox temporarily unavailable"
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if address in message["To"]]


@dataclass
class SMTPServer:
    handler: MailHandler
    port: int

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    handler = MailHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield SMTPServer(handler, port)
    controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    port: int
    received: list[Received] = field(default_factory=list)
    # Statuses to answer with, in turn; then 200.
    answers: list[int] = field(default_factory=list)
    # While set, requests are held (a worker killed meanwhile never hears back).
    hold: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def delivered(self) -> list[Received]:
        return [request for request in self.received if request.headers.get("answered") == "2xx"]


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = receiver.answers.pop(0) if receiver.answers else 200
            headers = dict(self.headers.items())
            headers["answered"] = "2xx" if status < 300 else str(status)
            receiver.received.append(Received(self.path, headers, body))
            while receiver.hold.is_set():
                time.sleep(0.05)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield receiver
    receiver.hold.clear()
    server.shutdown()


@pytest.fixture
def notify_settings(smtp_server: SMTPServer) -> dict[str, Any]:
    """Overrides that turn notifications on, with quick retries for tests."""
    return {
        "smtp_url": smtp_server.url,
        "mail_from": MAIL_FROM,
        "notification_retry_seconds": 0.05,
        "notification_give_up_seconds": 60.0,
        "notification_lease_seconds": 2.0,
        "worker_interval_seconds": 0.05,
    }


@dataclass
class Live:
    app: Any
    url: str

    def job(self) -> DeliveryJob:
        deps = self.app.extensions["commentsvc"]
        return DeliveryJob(deps.settings, deps.database.sessions)


@pytest.fixture
def live(
    make_app: Callable[..., Any], notify_settings: dict[str, Any]
) -> Iterator[Callable[..., Live]]:
    """An app served over real HTTP, its COMMENTSVC_PUBLIC_URL where it listens."""
    servers = []

    def start(**overrides: Any) -> Live:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        app = make_app(public_url=base, **{**notify_settings, **overrides})
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return Live(app, base)

    yield start
    for server in servers:
        server.shutdown()


def run_until(job: DeliveryJob, condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Run the worker's job until the condition holds (what a user would wait for)."""

    def step() -> Any:
        job.run_once()
        return condition()

    return wait_for(step, timeout)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def links_in(message: EmailMessage) -> dict[str, str]:
    """The plain-text part's 'Label: URL' lines."""
    found = {}
    for line in text_of(message).splitlines():
        label, _, rest = line.partition(": ")
        if rest.startswith("http"):
            found[label] = rest.strip()
    return found
