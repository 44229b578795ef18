"""The approved thread of an article as an HTML fragment, for pages rendered on the
server and readers without JavaScript; the widget takes over the same markup.

Built from the public page the cache holds (the same JSON every reader gets), so it
costs no database query on a hit; the markup of one page is kept per worker by its
ETag, so a popular article is rendered once per change. Every value goes through
``html.escape``; the one HTML taken as it is, ``html``, was rendered and sanitised
when the comment was written.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from html import escape
from typing import Any

import orjson

MAX_DEPTH = 3  # as the widget: deeper replies are shown at this depth
_KEPT = 256  # rendered fragments kept per process


def heading(count: int) -> str:
    if count == 0:
        return "No comments yet"
    return f"{count:,} Comment" + ("" if count == 1 else "s")


def _time(iso: str) -> str:
    moment = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")
    return f'<time datetime="{escape(iso)}">{moment:%Y-%m-%d %H:%M} UTC</time>'


def _comment(comment: dict[str, Any], replies: str) -> str:
    author = comment["author"]
    name = escape(author["name"])
    website = author.get("website")
    if website and website.lower().startswith(("http://", "https://")):
        name = (
            f'<a class="commentsvc-name" href="{escape(website)}" '
            f'rel="nofollow ugc noopener">{name}</a>'
        )
    else:
        name = f'<span class="commentsvc-name">{name}</span>'
    nested = f'<ol class="commentsvc-replies">{replies}</ol>' if replies else ""
    return (
        f'<li class="commentsvc-comment" id="comment-{int(comment["id"])}"><article>'
        f"<header>{name} {_time(comment['created_at'])}</header>"
        f'<div class="commentsvc-body">{comment["html"]}</div></article>{nested}</li>'
    )


def render_thread(page: dict[str, Any]) -> str:
    """The fragment of a public page (``{"url", "total", "comments"}``)."""
    children: dict[int | None, list[dict[str, Any]]] = {}
    for comment in page["comments"]:
        children.setdefault(comment["parent_id"], []).append(comment)

    def build(comment: dict[str, Any], depth: int) -> list[str]:
        replies = [
            item for reply in children.get(comment["id"], []) for item in build(reply, depth + 1)
        ]
        if depth >= MAX_DEPTH:
            # Too deep to indent further: the replies follow as siblings.
            return [_comment(comment, ""), *replies]
        return [_comment(comment, "".join(replies))]

    items = "".join(item for top in children.get(None, []) for item in build(top, 1))
    return (
        f'<section class="commentsvc-thread" data-commentsvc-thread="{escape(page["url"])}">'
        f'<h2 class="commentsvc-count">{heading(page["total"])}</h2>'
        f'<ol class="commentsvc-list">{items}</ol></section>'
    )


class FragmentCache:
    """Rendered fragments by the ETag of the page they were rendered from."""

    def __init__(self) -> None:
        self._fragments: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def fragment(self, etag: str, page_json: bytes) -> bytes:
        with self._lock:
            found = self._fragments.get(etag)
            if found is not None:
                self._fragments.move_to_end(etag)
                return found
        rendered = render_thread(orjson.loads(page_json)).encode()
        with self._lock:
            self._fragments[etag] = rendered
            while len(self._fragments) > _KEPT:
                self._fragments.popitem(last=False)
        return rendered
