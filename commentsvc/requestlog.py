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

from commentsvc.metrics import REQUEST_SECONDS

log = logging.getLogger("commentsvc.requests")
HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _start() -> None:
    incoming = request.headers.get(HEADER, "")
    g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # the request failed before _start ran
        return response
    seconds = time.perf_counter() - started
    endpoint = request.endpoint or "unknown"
    REQUEST_SECONDS.labels(request.method, endpoint).observe(seconds)
    response.headers[HEADER] = g.request_id
    log.info(
        "%s %s %s %.1fms id=%s ip=%s",
        request.method, request.path, response.status_code, seconds * 1000,
        g.request_id, request.remote_addr,
    )  # fmt: skip
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
