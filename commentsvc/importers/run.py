"""One import of a WordPress, Disqus or Isso file, from reading it to what follows
its commit: the moderation queue, the caches and the spam model.

The file is read in full before anything is written (a broken file writes nothing),
then stored in one transaction: committed, or rolled back on any error and for
``--dry-run`` (which so reports exactly what an import would do).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commentsvc.comments.models import CommentStatus
from commentsvc.importers import disqus, isso, wordpress, xmlfiles
from commentsvc.importers.core import ImportReport, SourceComment, URLMap, store
from commentsvc.moderation.queue import ModerationQueue
from commentsvc.spam import learning
from commentsvc.store.cache import ThreadCache
from commentsvc.web.errors import BadRequest

SOURCES = ("wordpress", "disqus", "isso")

# Given the number of comments to store, a context that gives a function to call with
# each batch stored (the command's progress bar).
Progress = Callable[[int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class ImportOptions:
    source: str
    path: Path
    url_map: URLMap = URLMap()
    sites: tuple[str, ...] | None = None  # check every article is on these
    with_pingbacks: bool = False
    dry_run: bool = False


def _no_progress(_total: int) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda _count: None)


def read_comments(options: ImportOptions, report: ImportReport) -> list[SourceComment]:
    if options.source == "isso":
        return list(isso.read(options.path, report))
    root, report.repairs = xmlfiles.parse(options.path.read_bytes(), options.path.name)
    comments: Iterator[SourceComment]
    if options.source == "wordpress":
        comments = wordpress.read(root, report, with_pingbacks=options.with_pingbacks)
    else:
        comments = disqus.read(root, report)
    return list(comments)


def import_file(
    session: Session, options: ImportOptions, progress: Progress = _no_progress
) -> ImportReport:
    report = ImportReport(source=options.source, dry_run=options.dry_run)
    comments = read_comments(options, report)
    try:
        with progress(len(comments)) as advance:
            store(session, options.source, comments, url_map=options.url_map,
                  sites=options.sites, report=report, progress=advance)  # fmt: skip
        if options.dry_run:
            session.rollback()
        else:
            # Approved and spam comments teach the spam model, like moderators' decisions.
            learning.learn_from_import(session, {
                comment_id: status == CommentStatus.SPAM
                for comment_id, status, _text in report.written
                if status in (CommentStatus.APPROVED, CommentStatus.SPAM)
            })  # fmt: skip
            session.commit()
    except IntegrityError:
        session.rollback()
        raise BadRequest(
            "comments of this file were stored by someone else meanwhile (another import "
            "of it running at the same time?): nothing was imported; run it again."
        ) from None
    except BaseException:
        session.rollback()
        raise
    return report


def after_commit(
    report: ImportReport, queue: ModerationQueue | None, cache: ThreadCache | None
) -> list[str]:
    """Queue the pending comments, drop the imported articles' cached pages and counts,
    teach the spam model. Redis may be away: everything in it catches up by itself."""
    messages = []
    pending = [comment_id for comment_id, status, _text in report.written
               if status == CommentStatus.PENDING]  # fmt: skip
    try:
        if queue is None or cache is None:
            raise RedisError("COMMENTSVC_REDIS_URL is not set")
        for comment_id in pending:
            queue.push(comment_id)
        for url in sorted(report.articles):
            cache.invalidate(url)
        if pending:
            messages.append(f"{len(pending)} pending comments put on the moderation queue")
    except RedisError as exc:
        messages.append(
            f"Redis is not reachable ({exc}): the cached pages and counts of the imported "
            "articles expire by themselves (COMMENTSVC_THREAD_CACHE_SECONDS), and pending "
            "comments are put on the moderation queue by the requeue sweep once the "
            "service runs (or by `commentsvc queue requeue`)."
        )
    return messages
