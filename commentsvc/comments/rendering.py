"""Comment bodies to safe HTML, once, when the comment is written.

A small Markdown subset (paragraphs, line breaks, links, emphasis, code, quotes,
lists) is rendered with raw HTML switched off, then everything passes through nh3,
which keeps only the tags below. No images or media: they would let a commenter
track every reader of the page.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

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
# A link is kept only with an absolute address: a relative one ("/login",
# "//evil.example") would point into the site that shows the comment.
_ABSOLUTE_HREF = re.compile(r"^\s*(?:https?://[^/\s]|mailto:)", re.IGNORECASE)
# What the spam rules read: the links and the text of the rendered HTML, which is
# what readers get, whatever the encoding of the body (entities, Markdown forms).
_ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r'\bhref="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")
# An address written out in the text: not clickable, but meant to be copied.
_BARE_ADDRESS = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>\"']+", re.IGNORECASE)


def _keep_absolute_links(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href" and not _ABSOLUTE_HREF.match(value):
        return None
    return value


def render(body: str) -> str:
    html = _markdown.render(body)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
        attribute_filter=_keep_absolute_links,
        strip_comments=True,
    ).strip()


def has_visible_text(text: str) -> bool:
    return any(
        character not in _BLANK_CHARACTERS
        and unicodedata.category(character) not in _BLANK_CATEGORIES
        for character in text
    )


@dataclass(frozen=True)
class RenderedContent:
    """What a reader gets from rendered HTML: its text and every address in it."""

    text: str
    links: tuple[str, ...]  # the targets of links, then addresses written out in the text


# The spam rules and the spam features both read a new comment's content: parsed once.
@lru_cache(maxsize=64)
def rendered_content(rendered: str) -> RenderedContent:
    targets = []
    for attributes, _label in _ANCHOR.findall(rendered):
        href = _HREF.search(attributes)
        if href:
            targets.append(html.unescape(href.group(1)))
    outside_links = html.unescape(_TAG.sub(" ", _ANCHOR.sub(" ", rendered)))
    written_out = _BARE_ADDRESS.findall(outside_links)
    text = html.unescape(_TAG.sub(" ", rendered))
    return RenderedContent(text=" ".join(text.split()), links=(*targets, *written_out))
