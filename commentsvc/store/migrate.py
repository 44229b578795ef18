"""The schema's migrations: bring a database to the newest one, or tell whether it is.

Only the commands that may change the schema migrate (``serve``, ``db upgrade``,
``import``); the others check that the schema is current and, if it is not, say
which command brings it there.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaNotCurrent(Exception):
    """The database's schema is older (or newer) than this version's migrations."""


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


def check_current(engine: Engine) -> None:
    """SchemaNotCurrent unless the database is at the newest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        found = f"at migration {current}" if current else "empty (no schema yet)"
        raise SchemaNotCurrent(
            f"the database is {found}, this version needs {head}: run `commentsvc db upgrade` first"
        )


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
