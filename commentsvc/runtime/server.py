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
import threading
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from commentsvc.config import ConfigError, Settings

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class CommentsApplication(BaseApplication):  # type: ignore[misc]
    def __init__(
        self, settings: Settings, options: dict[str, Any], stop_asked: threading.Event
    ) -> None:
        self.settings = settings
        self.options = options
        self.stop_asked = stop_asked
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("child_exit", _worker_exited)
        self.cfg.set("when_ready", self._stop_if_asked_while_starting)

    def _stop_if_asked_while_starting(self, arbiter: Any) -> None:
        # A stop that came after start-up's last look and before gunicorn's own
        # signal handlers: hand it to gunicorn, which then stops as usual.
        if self.stop_asked.is_set():
            arbiter.signal(signal.SIGTERM, None)

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
    from commentsvc.moderation.services import add_moderator, list_moderators
    from commentsvc.store import database as db

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
    gunicorn master never loads SQLAlchemy or Alembic and stays small. The child ends
    by itself; a stop asked meanwhile is acted on once it has (a migration is never
    cut in half)."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_send_outcome, args=(sending, settings))
    child.start()
    sending.close()
    try:
        failed, outcome = receiving.recv()
    except EOFError:
        raise RuntimeError(f"preparing the database failed (exit code {child.exitcode})") from None
    finally:
        child.join()
        receiving.close()
    if failed:
        raise outcome
    token: str | None = outcome
    return token


def _send_outcome(sending: Any, settings: Settings) -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    try:
        sending.send((False, _prepare_database(settings)))
    except Exception as exc:  # noqa: BLE001 - raised again in the parent
        sending.send((True, exc))


def _banner(settings: Settings, host: str, port: int, token: str | None) -> str:
    from commentsvc.store.redis_client import safe_url

    shown_host = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host  # noqa: S104
    base = settings.public_url or f"http://{shown_host}:{port}"
    lines = [
        f"commentsvc is running at {base}",
        f"  database: {settings.effective_database_url}",
        f"  redis:    {safe_url(settings.redis_url or '')}",
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


def run(settings: Settings, host: str, port: int) -> int:
    from commentsvc.runtime.embedded_redis import EmbeddedRedis

    # A stop during start-up (before gunicorn installs its own handlers) ends here
    # through the `finally`, so the embedded Redis server is never left running: an
    # orphan would keep writing the data directory the next start uses too. As PID 1
    # of a container, Python would otherwise ignore SIGTERM until gunicorn runs. The
    # handler only notes the stop: an exception raised from a signal handler can land
    # in a cleanup callback (after a fork, say) and be swallowed there.
    stop_asked = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda _signum, _frame: stop_asked.set())

    def stop_if_asked() -> None:
        if stop_asked.is_set():
            raise SystemExit(0)

    embedded = None
    try:
        _check_data_dir(settings)
        # Resolved once, before the workers fork: they all sign with the same key.
        settings = settings.with_secret_key()
        if not settings.redis_url:
            embedded = EmbeddedRedis(settings.data_dir / "redis")
            embedded.start()
            settings = settings.with_overrides(redis_url=embedded.url)
        stop_if_asked()
        token = _prepare_database_in_child(settings)
        stop_if_asked()
        _metrics_dir(settings)
        click.echo(_banner(settings, host, port, token))
        options = {
            "bind": f"{host}:{port}",
            "workers": settings.workers,
            "worker_class": "commentsvc.runtime.gunicorn_worker.BalancedThreadWorker",
            "threads": 4,
            "timeout": settings.worker_timeout_seconds,
            "graceful_timeout": settings.worker_timeout_seconds,
            "keepalive": 5,
            "control_socket_disable": True,
            "accesslog": None,
            "loglevel": settings.log_level.lower(),
        }
        CommentsApplication(settings, options, stop_asked).run()
        return 0
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    finally:
        if embedded is not None:
            # A second stop signal must not cut the server's final save short.
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            embedded.stop()
