"""The moderation page: a static page that works the review endpoint with the
moderator's token. Served under a strict Content-Security-Policy, so even a
rendering mistake could not run a commenter's text as script."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

blueprint = Blueprint("moderation_page", __name__)

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@blueprint.get("/moderate")
def moderation_page() -> Response:
    response = current_app.send_static_file("moderate.html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
    return response
