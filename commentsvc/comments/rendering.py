"""Comment bodies to safe HTML, once, when the comment is written.

A small Markdown subset (paragraphs, line breaks, links, emphasis, code, quotes,
lists) is rendered with raw HTML switched off, then everything passes through nh3,
which keeps only the tags below. No images or media: they would let a commenter
track every reader of the page.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {"p", "br", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li"}
)
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
LINK_REL = "nofollow ugc noopener"

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).disable(
    ["image", "heading", "lheading", "hr", "html_block", "html_inline", "reference"]
)
# Characters that take no room on screen: a body made only of them says nothing.
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u034f\u180e]+")
_LINK = re.compile(r"https?://|<a\s", re.IGNORECASE)


def render(body: str) -> str:
    html = _markdown.render(body)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def has_visible_text(text: str) -> bool:
    return bool(_INVISIBLE.sub("", text))


def count_links(body: str) -> int:
    return len(_LINK.findall(body))
