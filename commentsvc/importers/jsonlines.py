"""Export and import: every moderator, thread and comment as JSON Lines.

The first line is a header with the format version; then one object per line,
``{"type": "moderator" | "thread" | "comment", ...}``, parents before children so
an import can insert in file order. Emails, statuses, decisions and ids are all
kept: an export is a complete backup, and an import into an empty database gives
back the same threads with the same ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commentsvc.comments.models import Comment, CommentStatus, Thread
from commentsvc.comments.rendering import render
from commentsvc.moderation.models import Moderator
from commentsvc.web.errors import BadRequest

FORMAT = "commentsvc-export"
VERSION = 1

# The columns of each record, in the order the export writes them.
MODELS: dict[str, Any] = {"moderator": Moderator, "thread": Thread, "comment": Comment}
TIME_COLUMNS = {"created_at", "decided_at"}
TOKEN_HASH = re.compile(r"[0-9a-f]{64}")


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


def _read_one_moment(session: Session) -> None:
    """Read every table as of one moment, so that an export taken while readers post
    and moderators decide is consistent (no comment without its thread, no reply
    without its parent). Call on a session that has not queried yet."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    elif connection.dialect.name == "sqlite":
        # The driver opens transactions only to write: without one each SELECT would
        # see the database as it is when that SELECT starts. In WAL mode a reading
        # transaction keeps its snapshot and blocks no writer.
        connection.exec_driver_sql("BEGIN")


def export_records(session: Session) -> Iterator[dict[str, Any]]:
    _read_one_moment(session)
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
        if column.key not in record and column.default is not None and column.default.is_scalar:
            # A column newer than the file (an export of an older version): its default.
            value = column.default.arg
        if column.key in TIME_COLUMNS and value is not None:
            value = datetime.fromisoformat(value)
        elif column.key == "status":
            if not isinstance(value, str):
                raise ValueError(f"{value!r} is not a comment status")
            value = CommentStatus(value)
        values[column.key] = value
    if kind == "comment":
        # The public HTML is rendered here from the text, like every comment's: a file
        # is never trusted with HTML that readers' browsers would run.
        if not isinstance(values["body"], str):
            raise ValueError("a comment's body must be text")
        values["html"] = render(values["body"])
    elif kind == "moderator" and not (
        isinstance(values["token_hash"], str) and TOKEN_HASH.fullmatch(values["token_hash"])
    ):
        # Only hashes as the service stores them: anything else would be a token
        # given in clear, or a value no token can match.
        raise ValueError("a moderator's token_hash must be 64 lowercase hexadecimal digits")
    return values


def _parse(lines: Iterable[bytes]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, column values) of each record; the header is checked, not returned."""
    header_seen = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise BadRequest(f"line {number} is not JSON") from None
        if not isinstance(record, dict):
            raise BadRequest(f"line {number} is not a record")
        if not header_seen:
            if record.get("format") != FORMAT or record.get("version") != VERSION:
                raise BadRequest(f"this is not a {FORMAT} file of version {VERSION}")
            header_seen = True
            continue
        kind = record.get("type")
        if kind not in MODELS:
            raise BadRequest(f"line {number} has an unknown type {kind!r}")
        try:
            values = _values(kind, record)
        except (TypeError, ValueError) as exc:
            raise BadRequest(f"line {number}: {exc}") from None
        yield kind, values
    if not header_seen:
        raise BadRequest(f"the file is empty: it is not a {FORMAT} file")


def import_records(session: Session, lines: Iterable[bytes], batch: int = 1000) -> dict[str, int]:
    """Load an export into an empty database, ids and threads intact. All or nothing:
    one transaction, so a file that breaks off or contradicts itself leaves the
    database empty. Records are inserted in batches (memory stays small for any
    size of file), each kind before the kinds that refer to it."""
    for model in MODELS.values():
        if session.scalar(select(func.count()).select_from(model)):
            raise BadRequest("the database is not empty: import only into a new database")
    counts = dict.fromkeys(MODELS, 0)
    pending: dict[str, list[dict[str, Any]]] = {kind: [] for kind in MODELS}

    def insert_pending() -> None:
        for kind, model in MODELS.items():
            if pending[kind]:
                session.execute(model.__table__.insert(), pending[kind])
                pending[kind].clear()

    try:
        for kind, values in _parse(lines):
            pending[kind].append(values)
            counts[kind] += 1
            if len(pending[kind]) >= batch:
                insert_pending()
        insert_pending()
        _reset_sequences(session)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise BadRequest(
            "the file does not fit together (a record is missing a required field, repeats "
            "an id, or refers to a thread, comment or moderator the file does not have "
            f"before it): {exc.orig}"
        ) from None
    except BaseException:
        session.rollback()
        raise
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
