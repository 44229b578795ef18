"""The ``commentsvc`` command: serve, db, moderators, queue, export, import, people."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from commentsvc.config import ConfigError, Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from commentsvc.store.database import Database


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
def _database(settings: Settings, *, migrate: bool = True) -> Iterator[Database]:
    from commentsvc.store import database as db
    from commentsvc.web.errors import ServiceError

    engine = db.make_engine(settings.effective_database_url)
    try:
        db.check_connection(engine)
        if migrate:
            db.upgrade(engine)
        yield db.Database(engine)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        engine.dispose()


@contextmanager
def _session(settings: Settings, *, migrate: bool = True) -> Iterator[Session]:
    with _database(settings, migrate=migrate) as database, database.sessions() as session:
        yield session


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


@moderators.command("token")
@click.argument("name")
def moderators_token(name: str) -> None:
    """Issue a new token for a moderator (prints it, last line); the old one stops working."""
    from commentsvc.moderation.services import issue_token

    with _session(Settings.from_env()) as session:
        token = issue_token(session, name)
    click.echo(f"new token for {name!r}; the old one no longer works. Keep this one:", err=True)
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
    return ModerationQueue(make_redis(settings.redis_url, 5.0), settings.moderation_lease_seconds)


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


@main.group()
def people() -> None:
    """Data rights: a person's data by email address, exported or erased."""


def _address(email: str) -> str:
    from marshmallow import ValidationError

    from commentsvc.people.schemas import PersonSchema

    try:
        address: str = PersonSchema().load({"email": email})["email"]
    except ValidationError as exc:
        raise click.ClickException(" ".join(exc.messages_dict["email"])) from None
    return address


def _optional_redis(settings: Settings) -> Any:
    from commentsvc.store.redis_client import make_redis

    return make_redis(settings.redis_url, 5.0) if settings.redis_url else None


@people.command("export")
@click.argument("email")
def people_export(email: str) -> None:
    """Print every comment of that address (all statuses) as JSON."""
    import orjson

    from commentsvc.people.schemas import PersonExportSchema
    from commentsvc.people.services import export_person

    with _session(Settings.from_env()) as session:
        person = PersonExportSchema().dump(export_person(session, _address(email)))
    click.echo(orjson.dumps(person, option=orjson.OPT_INDENT_2).decode())


@people.command("erase")
@click.argument("email")
@click.option("--with-comments", is_flag=True, help="Delete the comments too.")
def people_erase(email: str, with_comments: bool) -> None:
    """Remove that person's name, email, website and IP from their comments (and the
    comments with --with-comments); prints what changed."""
    import getpass

    import orjson

    from commentsvc.moderation.queue import ModerationQueue
    from commentsvc.people.services import erase_person
    from commentsvc.store.cache import ThreadCache

    settings = Settings.from_env().with_secret_key()
    assert settings.secret_key
    address = _address(email)
    redis = _optional_redis(settings)
    cache = ThreadCache(redis, settings.thread_cache_seconds) if redis else None
    queue = ModerationQueue(redis, settings.moderation_lease_seconds) if redis else None
    with _session(settings) as session:
        erasure = erase_person(
            session, cache, queue, address, f"command line ({getpass.getuser()})",
            settings.secret_key, with_comments=with_comments,
        )  # fmt: skip
    if cache is None:
        click.echo(
            "COMMENTSVC_REDIS_URL is not set: cached pages show the old names for up to "
            f"{settings.thread_cache_seconds} s (COMMENTSVC_THREAD_CACHE_SECONDS)",
            err=True,
        )
    click.echo(orjson.dumps(erasure.as_dict()).decode())


@people.command("purge")
def people_purge() -> None:
    """Remove IP addresses, and emails of spam or rejected comments, older than
    COMMENTSVC_IP_RETENTION_DAYS (what the background retention job does hourly)."""
    from commentsvc.people.retention import RetentionJob

    settings = Settings.from_env()
    with _database(settings) as database:
        changed = RetentionJob(database.sessions, settings.ip_retention_days).run_once()
    noun = "comment" if changed == 1 else "comments"
    click.echo(f"{changed} {noun} purged of data older than {settings.ip_retention_days} days")
