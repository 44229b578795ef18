"""Small server-rendered pages for links in mails: a confirmation with a button, a
result, or a clear error. Autoescaped, under a strict Content-Security-Policy (no
script at all; the one style block is allowed by its hash)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from flask import Response
from jinja2 import Environment

STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;"
    "color:#222}blockquote{border-left:3px solid #ccc;margin:1rem 0;padding:.25rem 1rem;"
    "white-space:pre-wrap}button{font:inherit;padding:.5rem 1.25rem;cursor:pointer}"
    ".meta{color:#555}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
PAGE_CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

_environment = Environment(autoescape=True)
_page = _environment.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ title }}</title><style>{{ style }}</style></head>
<body><h1>{{ title }}</h1>
{% for paragraph in paragraphs %}<p>{{ paragraph }}</p>
{% endfor %}{% if comment %}<p class="meta">{{ comment.author }} &lt;{{ comment.email }}&gt;
on <a href="{{ comment.url }}" rel="noopener">{{ comment.url }}</a>
{%- if comment.status %} · status: {{ comment.status }}{% endif %}</p>
<blockquote>{{ comment.body }}</blockquote>
{% endif %}{% if button %}<form method="post"><button type="submit">{{ button }}</button></form>
{% endif %}</body></html>
"""
)


def page(
    title: str,
    *paragraphs: str,
    status: int = 200,
    comment: dict[str, Any] | None = None,
    button: str | None = None,
) -> Response:
    html = _page.render(
        title=title, paragraphs=paragraphs, comment=comment, button=button, style=STYLE
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
