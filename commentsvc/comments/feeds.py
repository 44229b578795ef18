"""Atom feeds (RFC 4287) of approved comments: of one article, and of a whole site.

Read from the database (feed readers poll every few minutes; the answer says how
long it may be kept), newest first, at most ``FEED_SIZE`` entries. Entry ids are
the comment's own address on its article (``ARTICLE#comment-ID``), which never
changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import select
from sqlalchemy.orm import Session

from commentsvc.comments.models import Comment, CommentStatus, Thread

FEED_SIZE = 50
ATOM = "http://www.w3.org/2005/Atom"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
NOTHING_YET = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Feed:
    id: str  # the feed's own address
    title: str
    alternate: str  # the page the feed is about


def _query(session: Session, where: Any) -> list[Any]:
    return list(
        session.execute(
            select(Comment.id, Comment.author_name, Comment.author_website, Comment.html,
                   Comment.created_at, Comment.decided_at, Thread.url)
            .join(Thread, Comment.thread_id == Thread.id)
            .where(Comment.status == CommentStatus.APPROVED, where)
            .order_by(Comment.id.desc())
            .limit(FEED_SIZE)
        )
    )  # fmt: skip


def article_entries(session: Session, url: str) -> list[Any]:
    return _query(session, Thread.url == url)


def site_entries(session: Session, origin: str) -> list[Any]:
    # Every article of the site, and nothing of a site whose origin merely begins alike
    # (https://blog.example.com.evil.test).
    prefix = origin.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
    return _query(session, Thread.url.like(prefix, escape="\\"))


def _text(parent: ElementTree.Element, tag: str, text: str, **attributes: str) -> None:
    ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes).text = text


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def render_feed(feed: Feed, entries: list[Any]) -> bytes:
    ElementTree.register_namespace("", ATOM)
    root = ElementTree.Element(f"{{{ATOM}}}feed")
    _text(root, "id", feed.id)
    _text(root, "title", feed.title)
    # A feed with nothing in it yet is as old as can be, and stays the same until then.
    newest = max((entry.decided_at or entry.created_at for entry in entries), default=NOTHING_YET)
    _text(root, "updated", _stamp(newest))
    ElementTree.SubElement(root, f"{{{ATOM}}}link", {"rel": "self", "href": feed.id})
    ElementTree.SubElement(root, f"{{{ATOM}}}link", {"rel": "alternate", "href": feed.alternate})
    _text(root, "generator", "commentsvc")
    for row in entries:
        entry = ElementTree.SubElement(root, f"{{{ATOM}}}entry")
        address = f"{row.url}#comment-{row.id}"
        _text(entry, "id", address)
        _text(entry, "title", f"Comment by {row.author_name}")
        _text(entry, "published", _stamp(row.created_at))
        _text(entry, "updated", _stamp(row.decided_at or row.created_at))
        ElementTree.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": address})
        author = ElementTree.SubElement(entry, f"{{{ATOM}}}author")
        _text(author, "name", row.author_name)
        if row.author_website and row.author_website.lower().startswith(("http://", "https://")):
            _text(author, "uri", row.author_website)
        # The sanitised HTML of the comment, escaped as Atom's type="html" wants.
        _text(entry, "content", row.html, type="html")
    return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=True))
