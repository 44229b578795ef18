"""An Isso database (SQLite): ``threads`` (``uri``, a path such as ``/2014/hello/``)
and ``comments`` (``mode`` 1 published, 2 waiting for moderation, 4 deleted).

Isso keeps only paths; ``--map /=https://blog.example.com`` (or ``''=...``) turns
them into the article URLs. A deleted comment (mode 4: Isso keeps the row, emptied,
only while it has replies) is imported as rejected, so that its replies keep their
place. The text is Isso's Markdown, which the service's renderer reads as it is.
Origins are ``isso:DATABASE:ID``, DATABASE the file's name without ``.db``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from commentsvc.comments.models import CommentStatus
from commentsvc.importers.core import ImportReport, SourceComment, origin_key
from commentsvc.store.database import utcnow
from commentsvc.web.errors import BadRequest

STATUSES = {1: CommentStatus.APPROVED, 2: CommentStatus.PENDING, 4: CommentStatus.REJECTED}
_QUERY = """
SELECT comments.id, comments.parent, comments.created, comments.mode,
       comments.remote_addr, comments.text, comments.author, comments.email,
       comments.website, threads.uri
FROM comments JOIN threads ON threads.id = comments.tid
ORDER BY comments.id
"""


def _time(created: object) -> datetime:
    try:
        return datetime.fromtimestamp(float(created), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return utcnow()


def read(path: Path, report: ImportReport) -> Iterator[SourceComment]:
    name = path.name.removesuffix(".db")
    try:
        # Read-only: an import never changes the database it reads.
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BadRequest(f"{path} cannot be opened as an Isso database: {exc}") from None
    try:
        rows = connection.execute(_QUERY).fetchall()
    except sqlite3.Error as exc:
        raise BadRequest(f"{path} is not an Isso database ({exc}). Nothing was imported.") from None
    finally:
        connection.close()
    for row in rows:
        comment_id, parent, created, mode, remote_addr, text, author, email, website, uri = row
        yield SourceComment(
            origin=origin_key("isso", name, str(comment_id)),
            parent_origin=origin_key("isso", name, str(parent)) if parent else None,
            article_url=str(uri or ""),
            author_name=author,
            author_email=email,
            author_website=website,
            remote_addr=remote_addr,
            created_at=_time(created),
            body=str(text or ""),
            status=STATUSES.get(mode, CommentStatus.PENDING),
        )
