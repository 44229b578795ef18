"""WordPress eXtended RSS (WXR 1.0 to 1.2), from WordPress.com or a self-hosted site.

Each ``<item>`` is a post or page; its ``<link>`` is the article URL. Its
``<wp:comment>`` elements are the comments: ``wp:comment_parent`` (0 for none) links a
reply to its parent at any depth, ``wp:comment_approved`` is the status (``1``,
``0``, ``spam``, ``trash``), ``wp:comment_date_gmt`` the time in UTC.

Origins are ``wordpress:SITE:POST:ID``: SITE is the blog's address without its
scheme (an export taken after moving to https finds the same comments), POST the
post's id (or its link, in exports without one). WordPress numbers comments per site;
the post keeps apart files that were cut together from several sites.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from commentsvc.comments.models import CommentStatus
from commentsvc.importers.core import NO_ID, PINGBACK, ImportReport, SourceComment, origin_key
from commentsvc.importers.html_to_text import html_to_text
from commentsvc.importers.xmlfiles import child_text, children, local_name
from commentsvc.store.database import utcnow
from commentsvc.web.errors import BadRequest

STATUSES = {
    "1": CommentStatus.APPROVED,
    "approve": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "hold": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.REJECTED,
    "post-trashed": CommentStatus.REJECTED,
}
PINGBACK_TYPES = frozenset({"pingback", "trackback"})
NO_DATE = "0000-00-00 00:00:00"


def _without_scheme(address: str) -> str:
    return address.split("://", 1)[-1].rstrip("/").lower()


def _site(channel: Element) -> str:
    for name in ("base_blog_url", "base_site_url", "link"):
        address = child_text(channel, name)
        if address:
            return _without_scheme(address)
    return ""


def _time(comment: Element) -> datetime:
    """wp:comment_date_gmt; WordPress writes zeros there for some comments (drafts,
    imports from elsewhere): then the local time, taken as UTC, is the best there is."""
    for name in ("comment_date_gmt", "comment_date"):
        value = child_text(comment, name)
        if value and value != NO_DATE:
            try:
                return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            except ValueError:
                continue
    return utcnow()


def read(root: Element, report: ImportReport, *, with_pingbacks: bool) -> Iterator[SourceComment]:
    if local_name(root.tag) != "rss" or not children(root, "channel"):
        raise BadRequest(
            "this is not a WordPress export (WXR): it has no <rss><channel>. Nothing was imported."
        )
    for channel in children(root, "channel"):
        channel_site = _site(channel)
        for item in children(channel, "item"):
            link = child_text(item, "link")
            # A cut-down export without the blog's address: the post's host says it.
            site = channel_site or _without_scheme(link).split("/", 1)[0]
            post = child_text(item, "post_id") or link
            for comment in children(item, "comment"):
                kind = child_text(comment, "comment_type")
                if kind in PINGBACK_TYPES and not with_pingbacks:
                    report.skip(PINGBACK)
                    continue
                comment_id = child_text(comment, "comment_id")
                if not comment_id:
                    report.skip(NO_ID)
                    continue
                parent = child_text(comment, "comment_parent")
                content = child_text(comment, "comment_content")
                yield SourceComment(
                    origin=origin_key("wordpress", site, post, comment_id),
                    parent_origin=(
                        origin_key("wordpress", site, post, parent)
                        if parent and parent != "0"
                        else None
                    ),  # fmt: skip
                    article_url=link,
                    author_name=child_text(comment, "comment_author"),
                    author_email=child_text(comment, "comment_author_email"),
                    author_website=child_text(comment, "comment_author_url"),
                    remote_addr=child_text(comment, "comment_author_IP"),
                    created_at=_time(comment),
                    body=html_to_text(content, newlines_are_breaks=True),
                    status=STATUSES.get(
                        child_text(comment, "comment_approved"), CommentStatus.PENDING
                    ),  # fmt: skip
                )
