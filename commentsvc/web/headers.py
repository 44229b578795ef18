"""Security headers every answer gets.

JSON answers are never sniffed as something else (``nosniff``). Every HTML answer
— the moderation page, a redirect's little body, any page a module adds — is
under a strict Content-Security-Policy, unless its view set a policy of its own:
even a rendering mistake could not run a commenter's text as script."""

from __future__ import annotations

from flask import Flask, Response

STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HTML_HEADERS = {
    "Content-Security-Policy": STRICT_CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def secure(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        for name, value in HTML_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure)
