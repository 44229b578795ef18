"""Posting limits per client IP, counted in Redis so every worker agrees."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter

from commentsvc.deps import deps


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
        headers_enabled=True,
        storage_uri=redis_url,
        storage_options={
            "socket_timeout": timeout_seconds,
            "socket_connect_timeout": timeout_seconds,
        },
        strategy="moving-window",
        # With Redis down, posting goes on unlimited rather than failing: no comment is lost.
        swallow_errors=True,
    )
    limit = limiter.limit(post_rate_limit, methods=["POST"])
    for endpoint in endpoints:
        app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    app.extensions["commentsvc.limiter"] = limiter
    return limiter
