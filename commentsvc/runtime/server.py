"""``commentsvc serve``: gunicorn in this process, plus the embedded Redis server
when no COMMENTSVC_REDIS_URL is set.

Start-up, in order, and what each step buys:

1. Stop signals are only *noted* (``stop_asked``) until gunicorn installs its own
   handlers; ``run`` acts on a stop between steps, and its ``finally`` always stops
   the embedded Redis server. So a ``docker stop`` during start-up never leaves an
   orphan Redis writing the data directory the next start uses, and never cuts a
   migration in half. (As PID 1 of a container, Python would otherwise ignore
   SIGTERM; and an exception raised from a signal handler can land in a cleanup
   callback, after a fork say, and be swallowed there.)
2. The embedded Redis server starts first and stops last: SIGTERM to gunicorn lets
   in-flight requests finish, then Redis saves its data and exits.
3. The schema is migrated, and the first moderator created, once, before any worker
   exists, in a short-lived child process that sends back the new token (or the
   error) through a pipe. Alembic then never loads in the long-lived master, whose
   memory every worker shares (about 10 MB less for the whole service).
4. The app is built once, in the master (gunicorn's ``preload_app``), then frozen
   out of the garbage collector's sight (``gc.freeze``), and the workers are forked
   from it: they share its pages instead of each loading Flask, SQLAlchemy, the
   schemas and the widget again. Nothing connects while the app is built; after the
   fork each worker drops any pooled connection it inherited (``_after_fork``), so
   database and Redis connections are always a worker's own, and starts its
   background work there (threads do not survive a fork). The master then serves
   as the last of the COMMENTSVC_WORKERS workers itself (``arbiter.ServingArbiter``):
   an idle master would keep about 20 MB of originals of the pages the workers
   copied, which no process uses.
5. The background jobs (``commentsvc worker``'s: mail, webhooks, the spam learner,
   retention) run in a thread of one web worker, the one holding the data
   directory's jobs lock (``background.JobsInServe``); when it ends, another takes
   over. Their code is loaded in the master, so it is shared too. A process of their
   own, even forked from the master, would copy about 20 MB of the pages it touches.
6. A stop that came after start-up's last look and before gunicorn's own handlers
   is handed to gunicorn when it is ready (``when_ready``), which then stops as usual.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from gunicorn.app.base import BaseApplication

from commentsvc import logsafe
from commentsvc.config import ConfigError, Settings, without_password

if TYPE_CHECKING:
    from commentsvc.runtime.background import JobsInServe

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# The longest request line gunicorn takes (its maximum): the 100 article addresses
# of GET /api/v1/counts fit.
LIMIT_REQUEST_LINE = 8190
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class CommentsApplication(BaseApplication):  # type: ignore[misc]
    def __init__(
        self,
        settings: Settings,
        options: dict[str, Any],
        stop_asked: threading.Event,
        jobs_settings: Settings | None,
    ) -> None:
        self.settings = settings
        self.options = options
        self.stop_asked = stop_asked
        # Settings for the background jobs (step 5); None: another container runs them.
        self.jobs_settings = jobs_settings
        # In a web worker, after the fork: its thread for the background jobs.
        self.jobs: JobsInServe | None = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("preload_app", True)
        self.cfg.set("post_fork", self._after_fork)
        self.cfg.set("worker_exit", self._before_worker_exit)
        self.cfg.set("child_exit", _worker_exited)
        self.cfg.set("when_ready", self._stop_if_asked_while_starting)

    def run(self) -> None:
        from commentsvc.runtime.arbiter import ServingArbiter

        try:
            ServingArbiter(self).run()
        except RuntimeError as exc:  # what gunicorn's own run does with it
            click.echo(f"\nError: {exc}\n", err=True)
            sys.exit(1)

    def _stop_if_asked_while_starting(self, arbiter: Any) -> None:
        if self.stop_asked.is_set():
            arbiter.signal(signal.SIGTERM, None)

    def load(self) -> Any:
        # In the master, before the workers are forked (preload_app): see step 4.
        from commentsvc import create_app

        # No collection while the app is built: memory freed now would leave holes in
        # pages that workers, filling them, would each have to copy.
        gc.disable()
        app = create_app(self.settings)
        _prepare_shared_state(app)
        if self.jobs_settings is not None:
            from commentsvc.runtime import background  # noqa: F401 - shared, see step 5
        # What exists now lives as long as the service: the collector never walks it
        # again, so it never writes to (and copies) the pages workers share.
        gc.freeze()
        gc.enable()
        return app

    def _after_fork(self, server: Any, worker: Any) -> None:
        """In each new worker (and in the master, before it serves too): its own
        connections, its own background threads."""
        from commentsvc import start_background_work
        from commentsvc.deps import deps

        app = worker.app.wsgi()  # the app the master built
        dependencies = deps(app)
        # Pooled connections inherited from the master (there should be none) are left
        # to it, neither used nor closed here.
        dependencies.database.engine.dispose(close=False)
        dependencies.redis.connection_pool.reset()
        start_background_work(app)
        if self.jobs_settings is not None:
            from commentsvc.runtime.background import (
                TAKEOVER_SECONDS,
                JobsInServe,
                WorkerContext,
            )

            context = WorkerContext(
                self.jobs_settings, dependencies.database.sessions, dependencies.redis
            )
            in_master = server is not None and server.pid == os.getpid()
            self.jobs = JobsInServe(context, TAKEOVER_SECONDS if in_master else 0.0)
            self.jobs.start()

    def _before_worker_exit(self, _server: Any, _worker: Any) -> None:
        if self.jobs is not None:
            self.jobs.stop()


def _prepare_shared_state(app: Any) -> None:
    """What every process would otherwise build at its first request, built once here
    so that the workers share it: the ORM's mapper configuration (about 7 MB per
    process) and the URL map's matcher. Neither connects to anything."""
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    app.url_map.update()


def _worker_exited(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


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
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
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
    from commentsvc.store.migrate import upgrade

    engine = db.make_engine(settings.effective_database_url)
    try:
        db.check_connection(engine)
        upgrade(engine)
        _seed_spam_model(settings)
        with db.Database(engine).sessions() as session:
            if list_moderators(session):
                return None
            return add_moderator(session, "admin")
    finally:
        engine.dispose()


def _seed_spam_model(settings: Settings) -> None:
    """The shipped spam model into Redis if it has none, here in the short-lived
    child, so that no worker ever reads it."""
    from redis.exceptions import RedisError

    from commentsvc.spam.model import seed
    from commentsvc.store.redis_client import make_redis

    if not settings.redis_url:
        return
    try:
        seed(make_redis(settings.redis_url, 5.0))
    except RedisError as exc:  # the workers score with the shipped model meanwhile
        click.echo(f"warning: the spam model could not be put in Redis: {exc}", err=True)


def _prepare_database_in_child(settings: Settings) -> str | None:
    """``_prepare_database`` in a child process (step 3); a stop asked meanwhile is
    acted on once the child has ended by itself."""
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


def _jobs_settings(settings: Settings, port: int) -> Settings | None:
    """The background jobs' settings (None: another container runs them); links in
    their mails need an address even when COMMENTSVC_PUBLIC_URL is unset."""
    if not settings.worker_in_serve:
        return None
    if settings.public_url:
        return settings
    return settings.with_overrides(public_url=f"http://localhost:{port}")


def _log_to_stderr() -> None:
    """The master's own log lines, in the workers' format, before gunicorn runs."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        log.addHandler(handler)
        log.propagate = False


def listens_beyond_loopback(host: str) -> bool:
    """Whether readers on other machines can reach this address (0.0.0.0 and :: are
    every address; a name other than localhost is taken to be a public one)."""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return True


def public_url_warning(settings: Settings, host: str) -> str | None:
    if settings.public_url or not listens_beyond_loopback(host):
        return None
    return (
        f"COMMENTSVC_PUBLIC_URL is not set but the service listens on {host}: the snippet "
        "below and links in mails point at localhost, which readers cannot reach. Set it "
        "to the address readers use, e.g. COMMENTSVC_PUBLIC_URL=https://comments.example.com"
    )


def _banner(settings: Settings, host: str, port: int, token: str | None) -> str:
    shown_host = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host  # noqa: S104
    base = settings.public_url or f"http://{shown_host}:{port}"
    lines = [
        f"commentsvc is running at {base}",
        f"  database: {without_password(settings.effective_database_url)}",
        f"  redis:    {without_password(settings.redis_url or '')}",
        "",
    ]
    warning = public_url_warning(settings, host)
    if warning:
        lines += [warning, ""]
    lines += [
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
    command = command_name()
    lines += [
        f"Moderate at {base}/moderate. Manage moderators with `{command} moderators`",
        f"(a new token for admin: `{command} moderators token admin`).",
    ]
    if command != "commentsvc":
        lines.append(f"`commentsvc` alone works after `source {Path(command).parent}/activate`.")
    lines.append("")
    if token:
        lines += [
            "First start: a moderator 'admin' was created. Its token (shown only once):",
            token,
        ]
    return "\n".join(lines)


def command_name() -> str:
    """How to run the `commentsvc` command from where this one was started: its bare
    name when the PATH finds this very command, else the path it was started by
    (``.venv/bin/commentsvc`` from scripts/serve.sh)."""
    started = Path(sys.argv[0])
    found = shutil.which("commentsvc")
    if started.name != "commentsvc" or (found and Path(found).resolve() == started.resolve()):
        return "commentsvc"
    if started.is_absolute() and started.is_relative_to(Path.cwd()):
        return str(started.relative_to(Path.cwd()))
    return str(started)


def run(settings: Settings, host: str, port: int) -> int:
    from commentsvc.runtime.embedded_redis import DIRECTORY, EmbeddedRedis

    # Step 1: a stop during start-up is noted here and acted on between steps.
    stop_asked = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda _signum, _frame: stop_asked.set())

    def stop_if_asked() -> None:
        if stop_asked.is_set():
            raise SystemExit(0)

    # Everything serve and its children write (the database and its journal, Redis'
    # data, metrics, the secret key) holds comments, emails or secrets: owner only.
    os.umask(0o077)
    logsafe.install()
    embedded = None
    try:
        _check_data_dir(settings)
        # Resolved once, before the workers fork: they all sign with the same key.
        settings = settings.with_secret_key()
        if not settings.redis_url:
            embedded = EmbeddedRedis(settings.data_dir / DIRECTORY)
            embedded.start()
            settings = settings.with_overrides(redis_url=embedded.url)
        stop_if_asked()
        token = _prepare_database_in_child(settings)
        stop_if_asked()
        _metrics_dir(settings)
        click.echo(_banner(settings, host, port, token))
        warning = public_url_warning(settings, host)
        if warning:
            # Also in the log, where a container's operator looks later.
            _log_to_stderr()
            log.warning(warning)
        options = {
            "bind": f"{host}:{port}",
            # The master serves as the last one (step 4).
            "workers": settings.workers - 1,
            "worker_class": "commentsvc.runtime.gunicorn_worker.BalancedThreadWorker",
            "threads": 4,
            "timeout": settings.worker_timeout_seconds,
            "graceful_timeout": settings.worker_timeout_seconds,
            "keepalive": 5,
            "limit_request_line": LIMIT_REQUEST_LINE,
            "control_socket_disable": True,
            "accesslog": None,
            "loglevel": settings.log_level.lower(),
        }
        application = CommentsApplication(
            settings, options, stop_asked, _jobs_settings(settings, port)
        )
        application.run()
        return 0
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    finally:
        if embedded is not None:
            # A second stop signal must not cut the server's final save short.
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            embedded.stop()
