"""Database: the declarative base, one engine per app, a session per request,
and the hook that brings the schema to the newest migration."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, create_engine, event, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from commentsvc.config import ConfigError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    pass


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


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


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration; safe when several processes start at once."""
    from alembic import command

    with _migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # One process migrates; the others wait here, then find nothing to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(7424313)"))
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """SQLite has no advisory locks: processes sharing the file take a lock file beside it."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)


def database() -> Database:
    db: Database = current_app.extensions["commentsvc.store.database"]
    return db


def session() -> Session:
    """The request's session, opened on first use and closed when the request ends."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    db_session: Session = g.db_session
    return db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def init_app(app: Flask, url: str) -> Database:
    db = Database(make_engine(url))
    app.extensions["commentsvc.store.database"] = db
    app.teardown_appcontext(_close_session)
    return db
