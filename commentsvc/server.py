"""``commentsvc serve``: gunicorn in this process, plus the embedded Redis server
when no COMMENTSVC_REDIS_URL is set.

The order matters: Redis starts first and stops last (SIGTERM to gunicorn lets
in-flight requests finish, then Redis saves its data and exits); the schema is
migrated once, before any worker starts.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from commentsvc.config import ConfigError, Settings

log = logging.getLogger(__name__)


class CommentsApplication(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("child_exit", _worker_exited)

    def load(self) -> Any:
        # Called in each worker after the fork: connections are never shared.
        from commentsvc import create_app, start_background_work

        app = create_app(self.settings)
        # What exists now (modules, the app) lives as long as the worker: the garbage
        # collector need not walk it again on every full collection.
        gc.collect()
        gc.freeze()
        start_background_work(app)
        return app


def _worker_exited(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _metrics_dir(settings: Settings) -> None:
    """Workers write their metrics here; a scrape adds them up. Emptied at each
    start: counts from before a restart would be counted twice."""
    directory = settings.data_dir / "metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory.resolve())


def _check_data_dir(settings: Settings) -> None:
    """Usable, or a clear message: a volume mounted with another owner is the usual
    cause (the image runs as user 10001)."""
    directory = settings.data_dir
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise ConfigError(
            "DATA_DIR", f"{directory} cannot be used by user id {os.getuid()}: {exc.strerror}"
        ) from None


def _prepare_database(settings: Settings) -> str | None:
    """Migrate, and create the first moderator if there is none; returns its token."""
    from commentsvc import db
    from commentsvc.moderation.services import add_moderator, list_moderators

    engine = db.make_engine(settings.effective_database_url)
    try:
        db.check_connection(engine)
        db.upgrade(engine)
        with db.Database(engine).sessions() as session:
            if list_moderators(session):
                return None
            return add_moderator(session, "admin")
    finally:
        engine.dispose()


def _prepare_database_in_child(settings: Settings) -> str | None:
    """Migrations and the first moderator run in a short-lived child process, so the
    gunicorn master never loads SQLAlchemy or Alembic and stays small."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        token: str | None = pool.apply(_prepare_database, (settings,))
        return token


def _banner(settings: Settings, host: str, port: int, token: str | None) -> str:
    shown_host = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host  # noqa: S104
    base = f"http://{shown_host}:{port}"
    lines = [
        f"commentsvc is running at {base}",
        f"  database: {settings.effective_database_url}",
        f"  redis:    {settings.redis_url}",
        "",
        "Paste this where comments should appear on your article pages:",
        "",
        '  <div id="comments"></div>',
        f'  <script src="{base}/embed.js" async></script>',
        "",
    ]
    if not settings.sites:
        lines += [
            "COMMENTSVC_SITES is not set: comments are accepted for articles on any website.",
            "Set it to your site's origin, e.g. COMMENTSVC_SITES=https://blog.example.com",
            "",
        ]
    if token:
        lines += [
            "First start: a moderator 'admin' was created. Its token (shown only once):",
            token,
        ]
    return "\n".join(lines)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _stop_starting(_signum: int, _frame: Any) -> None:
    raise SystemExit(0)


def run(settings: Settings, host: str, port: int) -> int:
    from commentsvc.embedded_redis import EmbeddedRedis

    # A stop during start-up (before gunicorn installs its own handlers) ends here
    # through the `finally`, so the embedded Redis server is never left running: an
    # orphan would keep writing the data directory the next start uses too. As PID 1
    # of a container, Python would otherwise ignore SIGTERM until gunicorn runs.
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop_starting)
    embedded = None
    try:
        _check_data_dir(settings)
        if not settings.redis_url:
            embedded = EmbeddedRedis(settings.data_dir / "redis")
            embedded.start()
            settings = settings.with_overrides(redis_url=embedded.url)
        token = _prepare_database_in_child(settings)
        _metrics_dir(settings)
        click.echo(_banner(settings, host, port, token))
        options = {
            "bind": f"{host}:{port}",
            "workers": settings.workers,
            "worker_class": "commentsvc.workers.BalancedThreadWorker",
            "threads": 4,
            "timeout": settings.worker_timeout_seconds,
            "graceful_timeout": settings.worker_timeout_seconds,
            "keepalive": 5,
            "control_socket_disable": True,
            "accesslog": None,
            "loglevel": settings.log_level.lower(),
        }
        CommentsApplication(settings, options).run()
        return 0
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    finally:
        if embedded is not None:
            # A second stop signal must not cut the server's final save short.
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            embedded.stop()
