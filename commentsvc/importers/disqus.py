"""Disqus' XML export: ``<thread dsq:id>`` elements with the article's ``<link>``, then
``<post dsq:id>`` elements that name their thread and, for a reply, their parent.

A post marked ``isSpam`` is spam; one marked ``isDeleted`` is rejected: kept, never
public, so that its replies keep their place; ``isApproved`` false (exports of forums
with pre-moderation) is pending. Everything else Disqus published is approved. Posts
whose thread is not in the file are reported and skipped. Origins are ``disqus:ID``:
Disqus' ids are unique across all of Disqus.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from commentsvc.comments.models import CommentStatus
from commentsvc.importers.core import (
    NO_ID,
    NO_THREAD,
    ImportReport,
    SourceComment,
    origin_key,
)
from commentsvc.importers.html_to_text import html_to_text
from commentsvc.importers.xmlfiles import attribute, child_text, children, local_name
from commentsvc.store.database import utcnow
from commentsvc.web.errors import BadRequest


def _first(element: Element, name: str) -> Element | None:
    found = children(element, name)
    return found[0] if found else None


def _time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return utcnow()
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _status(post: Element) -> CommentStatus:
    if child_text(post, "isSpam").lower() == "true":
        return CommentStatus.SPAM
    if child_text(post, "isDeleted").lower() == "true":
        return CommentStatus.REJECTED
    if child_text(post, "isApproved").lower() == "false":
        return CommentStatus.PENDING
    return CommentStatus.APPROVED


def read(root: Element, report: ImportReport) -> Iterator[SourceComment]:
    if local_name(root.tag) != "disqus":
        raise BadRequest("this is not a Disqus export: its root is not <disqus>. "
                         "Nothing was imported.")  # fmt: skip
    links = {attribute(thread, "id"): child_text(thread, "link")
             for thread in children(root, "thread")}  # fmt: skip
    for post in children(root, "post"):
        post_id = attribute(post, "id")
        if not post_id:
            report.skip(NO_ID)
            continue
        thread_id = attribute(_first(post, "thread"), "id")
        if thread_id not in links:
            report.skip(NO_THREAD)
            report.missing_threads.add(thread_id or "(none)")
            continue
        author = _first(post, "author")
        parent = attribute(_first(post, "parent"), "id")
        yield SourceComment(
            origin=origin_key("disqus", post_id),
            parent_origin=origin_key("disqus", parent) if parent else None,
            article_url=links[thread_id],
            author_name=child_text(author, "name") if author is not None else None,
            author_email=child_text(author, "email") if author is not None else None,
            author_website=None,
            remote_addr=child_text(post, "ipAddress"),
            created_at=_time(child_text(post, "createdAt")),
            body=html_to_text(child_text(post, "message"), newlines_are_breaks=False),
            status=_status(post),
        )
