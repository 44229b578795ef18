"""Where a post comes from: pages of other websites may not post comments, and the
no-JavaScript form is sent back only to the website it came from.

A browser tells the service which page sent a request: ``Origin`` on every
cross-origin POST (``null`` when the page hides it), else ``Referer``. A request
with neither comes from no web page at all (curl, a site's server-side form
handler) and cannot be used against a reader's browser, so it is let through.
"""

from __future__ import annotations

from html import escape

from commentsvc.comments import urls
from commentsvc.web.errors import Forbidden

# The sender of a request whose origin is hidden or not an origin at all.
OPAQUE = "null"


def sender_origin(origin: str | None, referer: str | None) -> str | None:
    """The origin of the page that sent the request; None when the request names no
    page, ``OPAQUE`` when it names one that is hidden or malformed."""
    value = origin if origin else referer
    if not value:
        return None
    try:
        return urls.origin(value)
    except urls.InvalidURL:
        return OPAQUE


def check_sender(sites: tuple[str, ...], sender: str | None) -> None:
    """403 for a post sent by a page outside the configured sites."""
    if sites and sender is not None and sender not in sites:
        raise Forbidden(
            "Comments can only be posted from the pages of this website; "
            "this request came from another website."
        )


def may_redirect(article_url: str, sender: str | None) -> bool:
    """Whether the form post may send the reader on to the article: only back to the
    website the form was on (else the service would be an open redirect)."""
    return sender is None or sender == urls.origin(article_url)


def received_page(article_url: str) -> str:
    """What a form post gets instead of a redirect to another website."""
    link = escape(article_url, quote=True)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Comment received</title></head>\n<body><main>"
        "<h1>Thank you, your comment was received</h1>"
        f'<p><a href="{link}">Back to the article</a> ({escape(article_url)})</p>'
        "</main></body></html>\n"
    )
