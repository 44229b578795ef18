"""Security headers of HTML answers (``nosniff`` on every answer is added by the
layer every answer crosses, ``requestlog.EveryAnswer``).

Every HTML answer
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
    # A 304 has no body: it is whatever the cached answer was (Flask names it HTML).
    if response.mimetype == "text/html" and response.status_code != 304:
        for name, value in HTML_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure)
