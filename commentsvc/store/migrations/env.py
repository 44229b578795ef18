"""Alembic environment: runs on the connection ``commentsvc.store.database.upgrade`` hands it,
or on its own engine for the alembic command line."""

from alembic import context
from sqlalchemy import Connection

from commentsvc.models import Base
from commentsvc.store.database import make_engine

config = context.config
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with make_engine(config.get_main_option("sqlalchemy.url") or "").begin() as own_connection:
        run(own_connection)
