"""Storing comments read from another system's export, into a database that may
already hold comments.

Each reader (``wordpress``, ``disqus``, ``isso``) turns its file into
``SourceComment``s; ``store`` does the rest, the same for every source:

- every comment keeps the source's id in ``Comment.origin``: one already stored is
  skipped, so importing the same file twice adds nothing and a later export adds only
  its new comments (a reply to a comment of an earlier import finds its parent there);
- article URLs are rewritten (``--map``), normalised like posted ones, and checked
  against the configured sites (``--site``);
- the text is stored as the service's Markdown and rendered with
  ``rendering.render``: the public HTML is exactly as safe as a posted comment's;
- everything is written in the caller's one transaction, level by level of the reply
  tree (parents before replies, a few statements for any size of file).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from commentsvc.comments import urls
from commentsvc.comments.limits import EMAIL_MAX, NAME_MAX, WEBSITE_MAX
from commentsvc.comments.models import ORIGIN_MAX, Comment, CommentStatus, Thread
from commentsvc.comments.rendering import render
from commentsvc.comments.urls import InvalidURL, normalize_article_url
from commentsvc.moderation.history import AuditEvent
from commentsvc.store.database import utcnow
from commentsvc.web.errors import BadRequest

# Shown for a comment whose source kept no name (anonymous or deleted authors).
ANONYMOUS = "Anonymous"
CHUNK = 500  # ids per IN (...) look-up: well under every database's parameter limit

# Why a comment of the file was not stored (the report counts each).
ALREADY_IMPORTED = "already imported"
REPEATED = "repeated in the file"
PINGBACK = "pingback or trackback (--with-pingbacks imports them)"
NO_ARTICLE = "article address is not a full http(s) URL (rewrite it with --map)"
NO_THREAD = "its thread is not in the file"
NO_ID = "it has no id in the file"


@dataclass
class SourceComment:
    """One comment as a source has it, before it is checked and stored."""

    origin: str
    parent_origin: str | None
    article_url: str
    author_name: str | None
    author_email: str | None
    author_website: str | None
    remote_addr: str | None
    created_at: datetime
    body: str
    status: CommentStatus


@dataclass
class ImportReport:
    source: str
    dry_run: bool = False
    threads_new: int = 0
    threads_existing: int = 0
    stored: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    emails_missing: int = 0
    replies_to_missing_parents: int = 0
    articles: set[str] = field(default_factory=set)
    missing_threads: set[str] = field(default_factory=set)  # Disqus thread ids
    repairs: list[str] = field(default_factory=list)  # what the file needed to be read
    # (stored id, status) of every comment written, for the queue, caches and training.
    written: list[tuple[int, CommentStatus, str]] = field(default_factory=list)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] += count

    def lines(self) -> list[str]:
        verb = "would import" if self.dry_run else "imported"
        by_status = ", ".join(f"{self.stored[status.value]} {status.value}"
                              for status in CommentStatus)  # fmt: skip
        lines = [
            f"{verb} {sum(self.stored.values())} comments from {self.source} ({by_status})",
            f"threads: {self.threads_new} new, {self.threads_existing} already there",
        ]
        if self.repairs:
            lines.append(f"the file was read after repairs: {'; '.join(self.repairs)}")
        if self.replies_to_missing_parents:
            lines.append(f"{self.replies_to_missing_parents} replies whose parent is not in "
                         "the file are shown at the top level")  # fmt: skip
        if self.emails_missing:
            lines.append(f"{self.emails_missing} comments had no usable email address "
                         "(stored without one)")  # fmt: skip
        for reason, count in sorted(self.skipped.items()):
            lines.append(f"skipped {count}: {reason}")
        if self.missing_threads:
            lines.append("threads referred to but not in the file: "
                         + ", ".join(sorted(self.missing_threads)))  # fmt: skip
        return lines


@dataclass(frozen=True)
class URLMap:
    """``--map OLD=NEW``: article URLs starting with OLD start with NEW instead; the
    longest OLD that matches wins. An Isso URI (a path) is mapped from '' or '/'."""

    rules: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, pairs: Iterable[str]) -> URLMap:
        rules = []
        for pair in pairs:
            old, separator, new = pair.partition("=")
            if not separator or not new:
                raise BadRequest(f"--map {pair!r}: give it as OLD_PREFIX=NEW_PREFIX")
            rules.append((old.strip(), new.strip()))
        return cls(tuple(sorted(rules, key=lambda rule: len(rule[0]), reverse=True)))

    def apply(self, url: str) -> str:
        for old, new in self.rules:
            if old in ("", "/") and url.startswith("/"):
                return new.rstrip("/") + url
            if old and url.startswith(old):
                return new + url[len(old) :]
        return url


def normalize_email(email: str | None) -> str:
    """The address normalised as posting does; "" when there is none or it is not an
    address (an import must not stop at one bad address from years ago)."""
    if not email or not email.strip():
        return ""
    try:
        normalized = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return ""
    return normalized if len(normalized) <= EMAIL_MAX else ""


def clean_website(website: str | None) -> str | None:
    website = (website or "").strip()
    if (
        not website.lower().startswith(("http://", "https://"))
        or len(website) > WEBSITE_MAX
        or any(ord(character) < 32 or ord(character) == 127 for character in website)
    ):
        return None
    return website


def clean_address(address: str | None) -> str | None:
    """The IP address; WordPress' IPv4-mapped form (``::ffff:1.2.3.4``) as the IPv4
    address it is."""
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def clean_name(name: str | None) -> str:
    name = " ".join((name or "").replace("\x00", "").split())
    return name[:NAME_MAX] or ANONYMOUS


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _existing_origins(session: Session, origins: list[str]) -> dict[str, tuple[int, int]]:
    """origin -> (comment id, thread id) of the comments stored already."""
    found: dict[str, tuple[int, int]] = {}
    for chunk in _chunks(origins):
        rows = session.execute(
            select(Comment.origin, Comment.id, Comment.thread_id).where(Comment.origin.in_(chunk))
        )
        found.update({row.origin: (row.id, row.thread_id) for row in rows})
    return found


def _threads(session: Session, urls: set[str], report: ImportReport) -> dict[str, int]:
    """Thread id of each article, created for the new ones."""
    ids: dict[str, int] = {}
    ordered = sorted(urls)
    for chunk in _chunks(ordered):
        rows = session.execute(select(Thread.url, Thread.id).where(Thread.url.in_(chunk)))
        ids.update({url: thread_id for url, thread_id in rows})
    new = [url for url in ordered if url not in ids]
    report.threads_existing, report.threads_new = len(ids), len(new)
    if new:
        now = utcnow()
        _insert_threads(session, [{"url": url, "created_at": now} for url in new])
        for chunk in _chunks(new):
            rows = session.execute(select(Thread.url, Thread.id).where(Thread.url.in_(chunk)))
            ids.update({url: thread_id for url, thread_id in rows})
    return ids


def _insert_threads(session: Session, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: a reader may start one of these threads
    meanwhile, and theirs is the one to join."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        session.execute(
            postgresql.insert(Thread).on_conflict_do_nothing(index_elements=["url"]), rows
        )
    else:
        from sqlalchemy.dialects import sqlite

        session.execute(sqlite.insert(Thread).on_conflict_do_nothing(index_elements=["url"]), rows)


def _article(url: str, url_map: URLMap, sites: tuple[str, ...] | None) -> str | None:
    """The normalised article URL; None when it is not one. Raises when ``sites`` is
    given and the article is not on one of them."""
    try:
        article = normalize_article_url(url_map.apply(url))
    except InvalidURL:
        return None
    if sites is not None and urls.origin(article) not in sites:
        raise BadRequest(
            f"the article {article} is not on a configured site (COMMENTSVC_SITES: "
            f"{', '.join(sites) or 'none'}); rewrite its address with --map, or leave out "
            "--site. Nothing was imported."
        )
    return article


def _depths(comments: dict[str, SourceComment]) -> dict[str, int]:
    """How deep each comment is among the new ones (0: its parent is stored already or
    there is none), so that each level is inserted after its parents. A chain of
    parents that loops is cut where the loop closes."""
    depths: dict[str, int] = {}
    for origin in comments:
        chain: list[str] = []
        current = origin
        depth = -1
        while current not in depths:
            chain.append(current)
            parent = comments[current].parent_origin
            if parent is None or parent not in comments:
                break
            if parent in chain:
                comments[current].parent_origin = None
                break
            current = parent
        else:
            depth = depths[current]
        for item in reversed(chain):
            depth += 1
            depths[item] = depth
    return depths


def _new_comments(
    session: Session,
    comments: Iterable[SourceComment],
    url_map: URLMap,
    sites: tuple[str, ...] | None,
    report: ImportReport,
) -> tuple[dict[str, SourceComment], dict[str, str], dict[str, tuple[int, int]]]:
    """The comments to store by origin, the article of each, and (comment id, thread
    id) of those of their origins that are stored already (skipped)."""
    new: dict[str, SourceComment] = {}
    articles: dict[str, str] = {}
    for comment in comments:
        if comment.origin in new:
            report.skip(REPEATED)
            continue
        article = _article(comment.article_url, url_map, sites)
        if article is None:
            report.skip(NO_ARTICLE)
            continue
        new[comment.origin] = comment
        articles[comment.origin] = article
    stored = _existing_origins(session, list(new))
    for origin in stored:
        del new[origin]
    if stored:
        report.skip(ALREADY_IMPORTED, len(stored))
    return new, articles, stored


def store(
    session: Session,
    source: str,
    comments: Iterable[SourceComment],
    *,
    url_map: URLMap,
    sites: tuple[str, ...] | None,
    report: ImportReport,
    progress: Callable[[int], None] = lambda _count: None,
) -> ImportReport:
    """Add the comments not stored yet, in the session's transaction (the caller
    commits or rolls back). ``sites``: the configured sites every article must be
    on, or None not to check."""
    new, articles, stored = _new_comments(session, comments, url_map, sites, report)
    thread_ids = _threads(session, {articles[origin] for origin in new}, report)
    depths = _depths(new)
    # Where each comment is, by origin: those stored before, then each level's.
    ids = {origin: found[0] for origin, found in stored.items()}
    threads_of = {origin: found[1] for origin, found in stored.items()}
    # Oldest first within each level: the public list is in id order, so comments and
    # replies to the same comment read in the order they were written.
    by_date = sorted(new.items(), key=lambda item: item[1].created_at)
    for level in sorted(set(depths.values())):
        rows = []
        for origin, comment in by_date:
            if depths[origin] != level:
                continue
            thread_id = thread_ids[articles[origin]]
            parent_id = ids.get(comment.parent_origin) if comment.parent_origin else None
            if comment.parent_origin and (
                parent_id is None or threads_of.get(comment.parent_origin) != thread_id
            ):
                # A parent missing from file and database, or on another article.
                report.replies_to_missing_parents += 1
                parent_id = None
            rows.append(_row(comment, origin, thread_id, parent_id, report))
        for start in range(0, len(rows), CHUNK):
            batch = rows[start : start + CHUNK]
            inserted = session.execute(insert(Comment).returning(Comment.id, Comment.origin), batch)
            for comment_id, inserted_origin in inserted:
                ids[str(inserted_origin)] = comment_id
                threads_of[str(inserted_origin)] = thread_ids[articles[str(inserted_origin)]]
            _record_statuses(session, source, batch, ids)
            for row in batch:
                report.written.append((ids[row["origin"]], row["status"], row["body"]))
                report.stored[row["status"].value] += 1
                report.articles.add(articles[row["origin"]])
            progress(len(batch))
    return report


def _row(comment: SourceComment, origin: str, thread_id: int, parent_id: int | None,
         report: ImportReport) -> dict[str, Any]:  # fmt: skip
    email = normalize_email(comment.author_email)
    if not email:
        report.emails_missing += 1
    body = comment.body.replace("\x00", "")
    decided = comment.status != CommentStatus.PENDING
    return {
        "thread_id": thread_id,
        "parent_id": parent_id,
        "author_name": clean_name(comment.author_name),
        "author_email": email,
        "author_website": clean_website(comment.author_website),
        "body": body,
        "html": render(body),
        "status": comment.status,
        "spam_reasons": [],
        "remote_addr": clean_address(comment.remote_addr),
        "created_at": comment.created_at,
        "decided_at": comment.created_at if decided else None,
        "origin": origin,
    }


def _record_statuses(session: Session, source: str, rows: list[dict[str, Any]],
                     ids: dict[str, int]) -> None:  # fmt: skip
    """The history of each decided comment says the decision came with the import."""
    now = utcnow()
    events = [
        {"comment_id": ids[row["origin"]], "email": None, "action": row["status"].value,
         "actor": f"import from {source}", "at": now, "detail": {"origin": row["origin"]}}
        for row in rows if row["status"] != CommentStatus.PENDING
    ]  # fmt: skip
    if events:
        session.execute(insert(AuditEvent), events)


def origin_key(*parts: str) -> str:
    """An origin from its parts; long ones (a WordPress post known only by its URL) are
    shortened to a digest, which is as stable."""
    key = ":".join(parts)
    if len(key) <= ORIGIN_MAX:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{parts[0]}:sha256:{digest}"
