"""The ``commentsvc`` command: serve, db, moderators, queue."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from commentsvc.config import ConfigError, Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class _Commands(click.Group):
    """Every command ends with the variable named and what is wrong with it, not a
    traceback, when the configuration is one the service cannot run with: read from
    the environment, or found out later (a database directory, a database that
    cannot be reached)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None


@contextmanager
def _session(settings: Settings, *, migrate: bool = True) -> Iterator[Session]:
    from commentsvc.store import database as db
    from commentsvc.web.errors import ServiceError

    engine = db.make_engine(settings.effective_database_url)
    try:
        db.check_connection(engine)
        if migrate:
            db.upgrade(engine)
        with db.Database(engine).sessions() as session:
            yield session
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        engine.dispose()


@click.group(cls=_Commands)
def main() -> None:
    """commentsvc: comments for article pages, moderated through a Redis queue."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers", type=click.IntRange(min=1), help="gunicorn workers [COMMENTSVC_WORKERS]."
)
def serve(host: str, port: int, workers: int | None) -> None:
    """Run the service under gunicorn, with an embedded Redis server unless
    COMMENTSVC_REDIS_URL is set."""
    from commentsvc.runtime.server import run

    settings = Settings.from_env()
    if workers is not None:
        settings = settings.with_overrides(workers=workers)
    sys.exit(run(settings, host, port))


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to the newest migration."""
    with _session(Settings.from_env()):
        click.echo("database schema is up to date")


@main.group()
def moderators() -> None:
    """Moderators and their tokens."""


@moderators.command("add")
@click.argument("name")
def moderators_add(name: str) -> None:
    """Create a moderator; prints its token (last line). Only a hash of it is kept."""
    from commentsvc.moderation.services import add_moderator

    with _session(Settings.from_env()) as session:
        token = add_moderator(session, name)
    click.echo(f"moderator {name!r} created; keep this token, it is shown only once:", err=True)
    click.echo(token)


@moderators.command("list")
def moderators_list() -> None:
    """List moderators."""
    from commentsvc.moderation.services import list_moderators

    with _session(Settings.from_env()) as session:
        for moderator in list_moderators(session):
            click.echo(f"{moderator.name}\tsince {moderator.created_at:%Y-%m-%d}")


@moderators.command("remove")
@click.argument("name")
def moderators_remove(name: str) -> None:
    """Remove a moderator; its token stops working at once."""
    from commentsvc.moderation.services import remove_moderator

    with _session(Settings.from_env()) as session:
        remove_moderator(session, name)
    click.echo(f"moderator {name!r} removed")


@main.group()
def queue() -> None:
    """The moderation queue in Redis."""


def _queue(settings: Settings) -> Any:
    from commentsvc.moderation.queue import ModerationQueue
    from commentsvc.store.redis_client import make_redis

    if not settings.redis_url:
        raise click.ClickException(
            "COMMENTSVC_REDIS_URL is not set (the embedded server runs only under `serve`)"
        )
    return ModerationQueue(
        make_redis(settings.redis_url, 5.0, settings.redis_password),
        settings.moderation_lease_seconds,
    )


@queue.command("status")
def queue_status() -> None:
    """How many comments wait, and since when."""
    import time

    moderation_queue = _queue(Settings.from_env())
    oldest = moderation_queue.oldest_entry_ms()
    age = f", oldest waiting {int(time.time() - oldest / 1000)} s" if oldest else ""
    click.echo(f"{moderation_queue.length()} comments in the moderation queue{age}")


@queue.command("requeue")
def queue_requeue() -> None:
    """Put every pending comment that is missing from the queue back on it."""
    from commentsvc.moderation.services import requeue_missing

    settings = Settings.from_env()
    with _session(settings) as session:
        count = requeue_missing(session, _queue(settings))
    click.echo(f"{count} pending comments put back on the queue")


@main.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File (default: stdout).")
def export(output: str | None) -> None:
    """Write every comment (all statuses, with emails) and every moderator as JSON Lines."""
    from commentsvc.importers.jsonlines import write_export

    with _session(Settings.from_env()) as session:
        if output:
            with open(output, "wb") as stream:
                count = write_export(session, stream)
        else:
            count = write_export(session, click.get_binary_stream("stdout"))
    click.echo(f"exported {count} records", err=True)


@main.command("import")
@click.argument("source", type=click.File("rb"), default="-")
def import_(source: Any) -> None:
    """Read an export (a file, or - for stdin) into an empty database."""
    from commentsvc.importers.jsonlines import import_records

    with _session(Settings.from_env()) as session:
        counts = import_records(session, source)
    summary = ", ".join(f"{count} {kind}s" for kind, count in counts.items())
    click.echo(f"imported {summary}", err=True)
