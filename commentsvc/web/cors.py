"""CORS for the public API: only the origins in COMMENTSVC_SITES get an answer a
browser will let a page read, preflight included. The headers of other answers are
added by the layer every answer crosses (``requestlog.EveryAnswer``)."""

from __future__ import annotations

from flask import Flask, Response, request

from commentsvc.comments.urls import InvalidURL, origin
from commentsvc.deps import deps
from commentsvc.web.errors import Forbidden

PUBLIC_PREFIXES = ("/api/v1/comments", "/api/v1/counts")
MAX_AGE = "86400"


def allowed_origin(header: str | None, path: str, sites: tuple[str, ...]) -> str | None:
    """The origin to allow on this answer (the ``Origin`` header as sent), or None (no
    CORS headers). Compared with the sites as ``origin()`` writes both."""
    if not header or not path.startswith(PUBLIC_PREFIXES):
        return None
    if not sites:
        return header
    try:
        return header if origin(header) in sites else None
    except InvalidURL:  # "null", from a sandboxed page or a file
        return None


def cors_headers(origin: str) -> list[tuple[str, str]]:
    return [
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Expose-Headers", "ETag, Retry-After"),
    ]


def _preflight() -> Response | None:
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    if not request.path.startswith(PUBLIC_PREFIXES):
        return None
    if allowed_origin(request.headers.get("Origin"), request.path, deps().settings.sites) is None:
        raise Forbidden("This website may not use this comment service.")
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, DELETE"
    # Authorization: a reader's token for changing their own comment.
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
    response.headers["Access-Control-Max-Age"] = MAX_AGE
    return response


def init_app(app: Flask) -> None:
    app.before_request(_preflight)
