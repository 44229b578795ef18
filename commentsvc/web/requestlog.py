"""One log line per request, with a request id, and the latency metric.

The id comes from the X-Request-ID header when a proxy in front set a sensible
one, else it is made here; it is echoed in the answer so a reader's report
("request abc123 failed") leads to the log line."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from commentsvc.web.metrics import REQUEST_SECONDS

log = logging.getLogger("commentsvc.requests")
HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id(incoming: str | None) -> str:
    """The proxy's id when it is a sensible one, else a new one."""
    return incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex


def record(method: str, path: str, endpoint: str, status: int, seconds: float,
           identifier: str, remote_addr: str | None) -> None:  # fmt: skip
    """The latency metric and the log line of one answered request."""
    REQUEST_SECONDS.labels(method, endpoint).observe(seconds)
    if log.isEnabledFor(logging.INFO):
        log.info(
            "%s %s %s %.1fms id=%s ip=%s",
            method, path, status, seconds * 1000, identifier, remote_addr,
        )  # fmt: skip


def _start() -> None:
    g.request_id = request_id(request.headers.get(HEADER))
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # the request failed before _start ran
        return response
    response.headers[HEADER] = g.request_id
    record(
        request.method, request.path, request.endpoint or "unknown", response.status_code,
        time.perf_counter() - started, g.request_id, request.remote_addr,
    )  # fmt: skip
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
