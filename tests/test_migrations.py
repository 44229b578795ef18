"""The schema comes from migrations only, and matches the models."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from commentsvc.models import Base
from commentsvc.store import database as db
from commentsvc.store import migrate


def empty_database(database_url: str) -> None:
    engine = db.make_engine(database_url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            for table in inspect(connection).get_table_names():
                connection.execute(text(f'DROP TABLE "{table}"'))
    engine.dispose()


def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    """On SQLite, and on PostgreSQL when COMMENTSVC_TEST_DATABASE_URL is set."""
    empty_database(database_url)
    engine = db.make_engine(database_url)
    migrate.upgrade(engine)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()

    assert differences == []
    assert tables == {
        "alembic_version",
        "threads",
        "comments",
        "moderators",
        "audit_events",
        "authors",
        "outbox_events",
        "notification_deliveries",
        "subscribers",
        "used_links",
        "spam_examples",
    }


def test_several_processes_upgrading_at_once_all_succeed(database_url: str, tmp_path: Path) -> None:
    empty_database(database_url)
    env = {
        **os.environ,
        "COMMENTSVC_DATABASE_URL": database_url,
        "COMMENTSVC_DATA_DIR": str(tmp_path),
    }
    processes = [
        subprocess.Popen(["commentsvc", "db", "upgrade"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]  # fmt: skip
    results = [(process.wait(60), process.stderr.read()) for process in processes if process.stderr]

    assert [code for code, _ in results] == [0, 0, 0, 0], [err for _, err in results]
    head = ScriptDirectory.from_config(migrate.alembic_config(database_url)).get_current_head()
    engine = db.make_engine(database_url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert versions == [(head,)]
