"""Export and import: every moderator, thread and comment as JSON Lines.

The first line is a header with the format version; then one object per line,
``{"type": "moderator" | "thread" | "comment", ...}``, parents before children so
an import can insert in file order. Emails, statuses, decisions and ids are all
kept: an export is a complete backup, and an import into an empty database gives
back the same threads with the same ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from commentsvc.comments.models import Comment, CommentStatus, Thread
from commentsvc.errors import BadRequest
from commentsvc.moderation.models import Moderator

FORMAT = "commentsvc-export"
VERSION = 1

# The columns of each record, in the order the export writes them.
MODELS: dict[str, Any] = {"moderator": Moderator, "thread": Thread, "comment": Comment}
TIME_COLUMNS = {"created_at", "decided_at"}


def _record(kind: str, row: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"type": kind}
    for column in MODELS[kind].__table__.columns:
        value = getattr(row, column.key)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, CommentStatus):
            value = value.value
        record[column.key] = value
    return record


def export_records(session: Session) -> Iterator[dict[str, Any]]:
    yield {"type": "header", "format": FORMAT, "version": VERSION}
    for kind, model in MODELS.items():
        # Comments by id: a parent always has a smaller id than its replies.
        rows = select(model).order_by(model.id).execution_options(yield_per=1000)
        for row in session.scalars(rows):
            yield _record(kind, row)


def write_export(session: Session, output: IO[bytes]) -> int:
    count = 0
    for record in export_records(session):
        output.write(orjson.dumps(record) + b"\n")
        count += 1
    return count - 1


def _values(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for column in MODELS[kind].__table__.columns:
        value = record.get(column.key)
        if column.key in TIME_COLUMNS and value is not None:
            value = datetime.fromisoformat(value)
        elif column.key == "status":
            value = CommentStatus(value)
        values[column.key] = value
    return values


def _parse(lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise BadRequest(f"line {number} is not JSON") from None
        if number == 1 and (record.get("format") != FORMAT or record.get("version") != VERSION):
            raise BadRequest(f"this is not a {FORMAT} file of version {VERSION}")
        if number > 1 and record.get("type") not in MODELS:
            raise BadRequest(f"line {number} has an unknown type {record.get('type')!r}")
        yield record


def import_records(session: Session, lines: Iterable[bytes]) -> dict[str, int]:
    """Load an export into an empty database, ids and threads intact."""
    for model in MODELS.values():
        if session.scalar(select(func.count()).select_from(model)):
            raise BadRequest("the database is not empty: import only into a new database")
    counts = dict.fromkeys(MODELS, 0)
    batch: dict[str, list[dict[str, Any]]] = {kind: [] for kind in MODELS}
    for record in _parse(lines):
        kind = record["type"]
        if kind == "header":
            continue
        batch[kind].append(_values(kind, record))
        counts[kind] += 1
    for kind, model in MODELS.items():
        for start in range(0, len(batch[kind]), 1000):
            session.execute(model.__table__.insert(), batch[kind][start : start + 1000])
    _reset_sequences(session)
    session.commit()
    return counts


def _reset_sequences(session: Session) -> None:
    """PostgreSQL hands out ids from sequences, which explicit ids do not move."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in MODELS.values():
        table = model.__table__.name  # our own table names, never input
        statement = (
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )
        session.execute(text(statement))
