"""The ``commentsvc`` command: serve, worker, db, moderators, queue, spam, import, people."""

from __future__ import annotations

import os
import stat
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
def _database(settings: Settings, *, migrate: bool = False) -> Iterator[Database]:
    """The configured database. Only the commands that may change the schema migrate
    (``serve``, ``db upgrade``, ``import``); every other one needs the schema to be
    current and says which command makes it so."""
    import commentsvc.models  # noqa: F401 - every model, so that relationships resolve
    from commentsvc.store import database as db
    from commentsvc.store import migrate as migrations
    from commentsvc.web.errors import ServiceError

    engine = db.make_engine(settings.effective_database_url)
    try:
        db.check_connection(engine)
        if migrate:
            migrations.upgrade(engine)
        else:
            migrations.check_current(engine)
        yield db.Database(engine)
    except (ServiceError, migrations.SchemaNotCurrent) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


@contextmanager
def _session(settings: Settings, *, migrate: bool = False) -> Iterator[Session]:
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


@main.command()
def worker() -> None:
    """Run the background jobs (notifications: mail and webhooks). Any number may run
    against one database; `serve` runs one itself unless COMMENTSVC_WORKER_IN_SERVE=false."""
    from commentsvc.runtime.background import run
    from commentsvc.store.migrate import SchemaNotCurrent

    try:
        code = run(Settings.from_env())
    except SchemaNotCurrent as exc:
        raise click.ClickException(str(exc)) from None
    sys.exit(code)


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to the newest migration."""
    with _session(Settings.from_env(), migrate=True):
        click.echo("database schema is up to date")


@main.group()
def moderators() -> None:
    """Moderators and their tokens."""


@moderators.command("add")
@click.argument("name")
@click.option("--email", help="Where mail about waiting comments goes (needs COMMENTSVC_SMTP_URL).")
def moderators_add(name: str, email: str | None) -> None:
    """Create a moderator; prints its token (last line). Only a hash of it is kept."""
    from commentsvc.moderation.services import add_moderator

    with _session(Settings.from_env()) as session:
        token = add_moderator(session, name, email)
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
            email = moderator.email or "(no email)"
            click.echo(f"{moderator.name}\t{email}\tsince {moderator.created_at:%Y-%m-%d}")


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


def _redis(settings: Settings) -> Any:
    """A client of the configured Redis, else of the embedded one a `commentsvc serve`
    on the same data directory runs; a clear message when there is neither."""
    from redis.exceptions import RedisError

    from commentsvc.config import without_password
    from commentsvc.runtime.embedded_redis import running_url
    from commentsvc.store.redis_client import make_redis

    url = settings.redis_url or running_url(settings.data_dir)
    if not url:
        raise click.ClickException(
            f"no `commentsvc serve` is running with the data directory {settings.data_dir} "
            "(COMMENTSVC_DATA_DIR), and COMMENTSVC_REDIS_URL is not set: start serve, "
            "or set COMMENTSVC_REDIS_URL"
        )
    client = make_redis(url, 5.0, settings.redis_password)
    try:
        client.ping()
    except RedisError as exc:
        where = (
            f"Redis at {without_password(url)} (COMMENTSVC_REDIS_URL)"
            if settings.redis_url
            else f"the embedded Redis of `commentsvc serve` on {settings.data_dir}"
            " (has serve stopped?)"
        )
        raise click.ClickException(f"{where} does not answer: {exc}") from None
    return client


def _queue(settings: Settings) -> Any:
    from commentsvc.moderation.queue import ModerationQueue

    return ModerationQueue(_redis(settings), settings.moderation_lease_seconds)


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


@main.group()
def spam() -> None:
    """The spam filter's learned model."""


@spam.command("learn")
def spam_learn() -> None:
    """Learn from the moderators' decisions not learned yet, once, and publish the
    new weights (the background jobs do this continuously)."""
    from commentsvc.spam.learning import SpamLearner

    settings = Settings.from_env()
    redis = _queue(settings).redis
    with _database(settings) as database:
        learned = SpamLearner(database.sessions, redis).run_once()
    click.echo(f"spam model learned from {learned} new decisions")


@spam.command("evaluate")
@click.argument("labelled", type=click.Path(exists=True, dir_okay=False))
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True),
              help="Score that makes spam [COMMENTSVC_SPAM_THRESHOLD].")  # fmt: skip
def spam_evaluate(labelled: str, threshold: float | None) -> None:
    """Score a CSV of labelled comments (columns text, label [, author]; label 1/0 or
    spam/ham) and print precision, recall and the confusion matrix. Uses the model in
    Redis when COMMENTSVC_REDIS_URL has one, else the shipped model."""
    from pathlib import Path

    from commentsvc.spam.evaluation import LabelledFileError, evaluate, read_labelled
    from commentsvc.spam.model import Weights, published_weights, score_with, shipped_model

    settings = Settings.from_env()
    found: tuple[Weights, float] | None = None
    if settings.redis_url:
        from redis.exceptions import RedisError

        try:
            found = published_weights(_queue(settings).redis)
        except RedisError as exc:
            click.echo(f"Redis is not answering ({exc}): using the shipped model", err=True)
    if found is None:
        shipped = shipped_model()
        found = shipped, shipped.intercept
        click.echo("model: the shipped model", err=True)
    else:
        click.echo("model: the learned model in Redis", err=True)
    weights, intercept = found
    try:
        result = evaluate(
            read_labelled(Path(labelled)),
            lambda buckets: score_with(weights, intercept, buckets),
            threshold or settings.spam_threshold,
        )
    except LabelledFileError as exc:
        raise click.ClickException(f"{labelled}: {exc}") from None
    click.echo(result.report())


@main.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File (default: stdout).")
def export(output: str | None) -> None:
    """Write every comment (all statuses, with emails) and every moderator as JSON Lines."""
    from commentsvc.importers.jsonlines import write_export

    with _session(Settings.from_env()) as session:
        if output:
            # Emails and IP addresses: readable by the owner only.
            descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            if stat.S_ISREG(os.fstat(descriptor).st_mode):  # an older file, not a pipe
                os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "wb") as stream:
                count = write_export(session, stream)
        else:
            count = write_export(session, sys.stdout.buffer)
    click.echo(f"exported {count} records", err=True)


@main.command("import")
@click.argument("source", type=click.File("rb"), default="-")
@click.option(
    "--from",
    "from_",
    type=click.Choice(["wordpress", "disqus", "isso"]),
    help="Another system's export: a WordPress WXR file, a Disqus XML export, an Isso "
    "database. Without it, SOURCE is an export of commentsvc (JSON Lines).",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="OLD=NEW",
    help="Rewrite article URLs starting with OLD to start with NEW (repeatable). Isso "
    "keeps paths: --map /=https://blog.example.com",
)
@click.option("--dry-run", is_flag=True, help="Report what would be imported; write nothing.")
@click.option("--site", is_flag=True, help="Refuse the file unless every article is on "
              "one of COMMENTSVC_SITES.")  # fmt: skip
@click.option("--with-pingbacks", is_flag=True, help="Import WordPress pingbacks and trackbacks.")
def import_(
    source: Any, from_: str | None, maps: tuple[str, ...], dry_run: bool, site: bool,
    with_pingbacks: bool,
) -> None:  # fmt: skip
    """Read an export (a file, or - for stdin): commentsvc's own into an empty database,
    or WordPress / Disqus / Isso comments (--from) into any database."""
    if from_ is not None:
        _import_from(from_, source, maps, dry_run=dry_run, site=site, pingbacks=with_pingbacks)
        return
    if maps or dry_run or site or with_pingbacks:
        raise click.UsageError("--map, --dry-run, --site and --with-pingbacks need --from")
    from commentsvc.importers.jsonlines import import_records

    with _session(Settings.from_env(), migrate=True) as session:
        counts = import_records(session, source)
    summary = ", ".join(f"{count} {kind}s" for kind, count in counts.items())
    click.echo(f"imported {summary}", err=True)


def _import_from(kind: str, source: Any, maps: tuple[str, ...], *, dry_run: bool, site: bool,
                 pingbacks: bool) -> None:  # fmt: skip
    from pathlib import Path

    from commentsvc.importers.core import URLMap
    from commentsvc.importers.run import ImportOptions, after_commit, import_file
    from commentsvc.web.errors import ServiceError

    if source.name == "<stdin>":
        raise click.UsageError("give the file to import (--from reads a file, not stdin)")
    source.close()
    settings = Settings.from_env()
    if site and not settings.sites:
        raise click.UsageError("--site checks the articles against COMMENTSVC_SITES: set it")
    try:
        options = ImportOptions(
            kind, Path(source.name), URLMap.parse(maps), settings.sites if site else None,
            with_pingbacks=pingbacks, dry_run=dry_run,
        )  # fmt: skip
        with _session(settings, migrate=True) as session:
            report = import_file(session, options, _progress_bar)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    for line in report.lines():
        click.echo(line, err=True)
    if report.written and not dry_run:
        for line in after_commit(report, *_queue_and_cache(settings)):
            click.echo(line, err=True)


def _progress_bar(total: int) -> Any:
    """A progress bar on a terminal (big files take a while); nothing in a pipe or a log."""
    from contextlib import contextmanager, nullcontext

    if not sys.stderr.isatty() or total < 1000:
        return nullcontext(lambda _count: None)

    @contextmanager
    def bar() -> Iterator[Any]:
        with click.progressbar(length=total, label="importing", file=sys.stderr) as progress:
            yield progress.update

    return bar()


def _queue_and_cache(settings: Settings) -> tuple[Any, Any]:
    from commentsvc.moderation.queue import ModerationQueue
    from commentsvc.store.cache import ThreadCache
    from commentsvc.store.redis_client import make_redis

    if not settings.redis_url:
        return None, None
    redis = make_redis(settings.redis_url, 5.0)
    return (
        ModerationQueue(redis, settings.moderation_lease_seconds),
        ThreadCache(redis, settings.thread_cache_seconds),
    )


@main.group()
def notifications() -> None:
    """Mail and webhook deliveries."""


@notifications.command("failed")
def notifications_failed() -> None:
    """List deliveries given up on after retrying (id, what, to whom, last error)."""
    from commentsvc.notifications.services import failed_deliveries

    with _session(Settings.from_env()) as session:
        failed = failed_deliveries(session)
        for delivery in failed:
            click.echo(
                f"{delivery.delivery_id}\t{delivery.channel.value}\t{delivery.target}\t"
                f"comment {delivery.comment_id}\t{delivery.attempts} attempts\t"
                f"{delivery.last_error or ''}"
            )
    click.echo(f"{len(failed)} failed deliveries", err=True)


@notifications.command("retry")
@click.argument("delivery_id", required=False)
@click.option("--all", "every", is_flag=True, help="Retry every failed delivery.")
def notifications_retry(delivery_id: str | None, every: bool) -> None:
    """Send a failed delivery (or --all) again, with the same delivery id."""
    from commentsvc.notifications.services import retry_failed

    if bool(delivery_id) == every:
        raise click.UsageError("give one delivery id, or --all")
    with _session(Settings.from_env()) as session:
        count = retry_failed(session, delivery_id)
    click.echo(f"{count} deliveries will be sent again")


if __name__ == "__main__":
    main()


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
