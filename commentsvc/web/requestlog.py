"""The layer every answer crosses: its request id, its CORS headers, its log line
and its latency metric.

A WSGI middleware around everything else (the cached-read shortcut and Flask), so
an answer gets the same treatment wherever it was made. The id comes from the
X-Request-ID header when a proxy in front set a sensible one, else it is made
here; it is echoed in the answer so a reader's report ("request abc123 failed")
leads to the log line. The metric is labelled with the endpoint that answered,
which the inner layers name in ``environ[ENDPOINT]``."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request

from commentsvc.web.cors import PUBLIC_PREFIXES, allowed_origin, cors_headers
from commentsvc.web.metrics import REQUEST_SECONDS

log = logging.getLogger("commentsvc.requests")
HEADER = "X-Request-ID"
ENDPOINT = "commentsvc.endpoint"  # the environ key naming the endpoint that answered
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def request_id(incoming: str | None) -> str:
    """The proxy's id when it is a sensible one, else a new one."""
    # 128 random bits in hex, like a UUID4's hex without building a UUID per request.
    return incoming if incoming and _SAFE_ID.match(incoming) else os.urandom(16).hex()


def record(method: str, path: str, endpoint: str, status: int, seconds: float,
           identifier: str, remote_addr: str | None) -> None:  # fmt: skip
    """The latency metric and the log line of one answered request."""
    REQUEST_SECONDS.labels(method, endpoint).observe(seconds)
    if log.isEnabledFor(logging.INFO):
        log.info(
            "%s %s %s %.1fms id=%s ip=%s",
            method, path, status, seconds * 1000, identifier, remote_addr,
        )  # fmt: skip


def _with_vary_origin(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for index, (name, value) in enumerate(headers):
        if name.lower() == "vary":
            if "origin" not in value.lower():
                headers[index] = (name, f"{value}, Origin")
            return headers
    headers.append(("Vary", "Origin"))
    return headers


NOSNIFF = ("X-Content-Type-Options", "nosniff")


class EveryAnswer:
    def __init__(self, app: WSGIApp, sites: tuple[str, ...]) -> None:
        self.app = app
        self.sites = sites

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        identifier = request_id(environ.get("HTTP_X_REQUEST_ID"))
        path = environ.get("PATH_INFO", "")
        public = path.startswith(PUBLIC_PREFIXES)
        origin = allowed_origin(environ.get("HTTP_ORIGIN"), path, self.sites)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((HEADER, identifier))
            if not any(name.lower() == NOSNIFF[0].lower() for name, _value in headers):
                # No answer is ever sniffed as something else than it says it is.
                headers.append(NOSNIFF)
            if public:
                _with_vary_origin(headers)
            if origin is not None:
                headers.extend(cors_headers(origin))
            record(
                environ["REQUEST_METHOD"], path, environ.get(ENDPOINT) or "unknown",
                int(status[:3]), time.perf_counter() - started, identifier,
                environ.get("REMOTE_ADDR"),
            )  # fmt: skip
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def _name_endpoint() -> None:
    request.environ[ENDPOINT] = request.endpoint


def init_app(app: Flask) -> None:
    # First of the before-request functions: it names the endpoint even when a later
    # one (the CORS preflight) answers.
    app.before_request(_name_endpoint)
