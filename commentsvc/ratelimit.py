"""Posting limits per client IP, counted in Redis so every worker agrees."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from commentsvc.deps import deps
from commentsvc.errors import envelope


def client_ip() -> str:
    # ProxyFix (COMMENTSVC_TRUSTED_PROXIES) has already put the real client here.
    return request.remote_addr or "unknown"


def post_rate_limit() -> str:
    return deps().settings.post_rate_limit


def init_app(app: Flask, redis_url: str, timeout_seconds: float, endpoints: list[str]) -> Limiter:
    """One limiter per app (its storage is per instance), applied to ``endpoints``'
    POSTs with the configured COMMENTSVC_POST_RATE_LIMIT."""
    limiter = Limiter(
        client_ip,
        app=app,
        key_prefix="commentsvc",
        # X-RateLimit-* headers on every post would cost two more Redis round trips;
        # a refused post gets Retry-After (below).
        headers_enabled=False,
        storage_uri=redis_url,
        storage_options={
            "socket_timeout": timeout_seconds,
            "socket_connect_timeout": timeout_seconds,
        },
        # O(1) per post (INCR with an expiry); a moving window costs O(limit).
        strategy="fixed-window",
        # With Redis down, posting goes on unlimited rather than failing: no comment is lost.
        swallow_errors=True,
    )
    # Only posts are limited: every other request skips the limiter's work.
    limiter.request_filter(lambda: request.method != "POST")
    limit = limiter.limit(post_rate_limit, methods=["POST"])
    for endpoint in endpoints:
        app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    app.register_error_handler(RateLimitExceeded, _too_fast)
    app.extensions["commentsvc.limiter"] = limiter
    return limiter


def _too_fast(exc: RateLimitExceeded) -> Response:
    response = envelope(429, "You are posting too fast. Please wait a moment and try again.")
    # At most the window's length: by then the count has started again.
    response.headers["Retry-After"] = str(exc.limit.limit.get_expiry())
    return response
