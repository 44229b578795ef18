"""Comment bodies to safe HTML, once, when the comment is written.

A small Markdown subset (paragraphs, line breaks, links, emphasis, code, quotes,
lists) is rendered with raw HTML switched off, then everything passes through nh3,
which keeps only the tags below. No images or media: they would let a commenter
track every reader of the page.
"""

from __future__ import annotations

import re
import unicodedata

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
# What shows nothing on screen: spaces, controls, format characters (zero-width
# spaces, joiners, bidirectional marks, the soft hyphen), combining marks without a
# letter to sit on, and the letters and symbols fonts draw blank.
_BLANK_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Mc", "Me"})
_BLANK_CHARACTERS = frozenset(
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u2800"  # braille pattern blank
    "\u034f\u180e\u17b4\u17b5"  # grapheme joiner, Mongolian vowel separator, Khmer vowels
)
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
    return any(
        character not in _BLANK_CHARACTERS
        and unicodedata.category(character) not in _BLANK_CATEGORIES
        for character in text
    )


def count_links(body: str) -> int:
    return len(_LINK.findall(body))
