"""The database: one engine per app and a session per request.

The models' base and column types live in ``store.types`` and the migrations in
``store.migrate``; ``Base``, ``UTCDateTime`` and ``utcnow`` are importable from
here too, where the models have always found them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from commentsvc.config import ConfigError
from commentsvc.deps import deps
from commentsvc.store.types import Base, UTCDateTime, utcnow

__all__ = [
    "Base",
    "Database",
    "UTCDateTime",
    "check_connection",
    "init_app",
    "make_engine",
    "session",
    "utcnow",
]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while a writer commits; the busy timeout makes
    # concurrent writers from several gunicorn workers wait instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _create_private(database: Path) -> None:
    """Create the SQLite file readable by its owner only, whatever the umask: SQLite
    gives its -wal and -shm files the database file's permissions."""
    try:
        database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError as exc:
        raise ConfigError("DATABASE_URL", f"no directory for {database}: {exc.strerror}") from None


def make_engine(url: str) -> Engine:
    """The one way engines are made. Statement parameters are kept out of error
    messages (``hide_parameters``): they hold commenters' emails and IP addresses,
    and a logged traceback would carry them into the logs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            _create_private(Path(database))
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)


def check_connection(engine: Engine) -> None:
    """Connect once. A database that cannot be reached at start-up is reported as
    what it most often is, a configuration problem, with the variable named."""
    try:
        with engine.connect():
            pass
    except (OperationalError, InterfaceError) as exc:
        url = engine.url.render_as_string(hide_password=True)
        problem = " ".join(str(exc.orig or exc).split())
        raise ConfigError("DATABASE_URL", f"cannot connect to {url}: {problem}") from None


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)


def session() -> Session:
    """The request's session, opened on first use and closed when the request ends."""
    if "db_session" not in g:
        g.db_session = deps().database.sessions()
    db_session: Session = g.db_session
    return db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close_session)
