"""commentsvc: comments for article pages, moderated through a Redis queue."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from commentsvc.config import ConfigError, Settings, parse_rates

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Settings | Mapping[str, Any] | None = None) -> Flask:
    """The app factory. ``config`` is a ``Settings``, or overrides of the settings
    read from the environment (e.g. ``{"redis_url": ...}``), or None."""
    # Imported here, not at the top: the `commentsvc` command and the gunicorn master
    # import this package too, and stay small without Flask and SQLAlchemy.
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from commentsvc import logsafe
    from commentsvc.comments import pages as comment_pages
    from commentsvc.comments import ratelimit
    from commentsvc.comments import views as comment_views
    from commentsvc.deps import EXTENSION, Dependencies
    from commentsvc.importers import wordpress_form
    from commentsvc.moderation import page as moderation_page
    from commentsvc.moderation import views as moderation_views
    from commentsvc.moderation.queue import ModerationQueue
    from commentsvc.moderation.requeue import RequeueSweeper
    from commentsvc.notifications import views as notification_views
    from commentsvc.people import views as people_views
    from commentsvc.spam.model import SpamModel
    from commentsvc.spam.pipeline import SpamFilter
    from commentsvc.store import database as db
    from commentsvc.store.cache import ThreadCache
    from commentsvc.store.redis_client import make_redis
    from commentsvc.web import (
        cors,
        embed,
        errors,
        headers,
        health,
        metrics,
        openapi,
        payload,
        requestlog,
    )
    from commentsvc.web.jsonprovider import OrjsonProvider
    from commentsvc.web.reads import Reads, ReadShortcut

    settings = config if isinstance(config, Settings) else Settings.from_env(**dict(config or {}))
    settings = settings.with_secret_key()
    if not settings.redis_url:
        raise ConfigError(
            "REDIS_URL",
            "is not set: `commentsvc serve` starts an embedded Redis server itself, "
            "any other way of running the app needs a Redis URL",
        )

    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    # No SECRET_KEY in Flask's config: the service keeps no cookie session (readers
    # hold signed tokens, moderators a bearer token), and with a key Flask would open
    # and sign a session on every request.
    logsafe.install()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    database = db.Database(db.make_engine(settings.effective_database_url))
    redis = make_redis(settings.redis_url, settings.redis_timeout_seconds, settings.redis_password)
    queue = ModerationQueue(redis, settings.moderation_lease_seconds)
    # The one registry of shared objects: every part of the app finds them with deps().
    app.extensions[EXTENSION] = Dependencies(
        settings=settings,
        database=database,
        redis=redis,
        queue=queue,
        cache=ThreadCache(redis, settings.thread_cache_seconds),
        spam=SpamFilter(
            model=SpamModel(redis, settings.flood_limit),
            limiter=ratelimit.PostLimiter(
                parse_rates(settings.post_rate_limit), settings.ipv6_rate_limit_prefix
            ),
            secret_key=settings.secret_key or "",
            blocked_words=settings.blocked_words,
            max_links=settings.max_links,
            threshold=settings.spam_threshold,
        ),
        requeue=RequeueSweeper(database.sessions, queue, settings.requeue_interval_seconds),
        embed_assets=embed.load_assets(),
    )

    db.init_app(app)
    errors.init_app(app)
    requestlog.init_app(app)
    payload.init_app(app)
    cors.init_app(app)
    headers.init_app(app)
    app.register_blueprint(comment_views.blueprint)
    app.register_blueprint(comment_pages.blueprint)
    app.register_blueprint(moderation_views.blueprint)
    app.register_blueprint(moderation_page.blueprint)
    app.register_blueprint(people_views.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(wordpress_form.blueprint)
    app.register_blueprint(notification_views.blueprint)
    embed.init_app(app)
    openapi.init_app(app)
    metrics.init_app(app)
    # The two hottest reads are answered before Flask dispatches, by the same code as
    # their views; every answer then crosses one layer (request id, CORS, log, metric).
    reads = Reads(app.extensions["commentsvc"].cache, settings.sites)
    app.wsgi_app = requestlog.EveryAnswer(  # type: ignore[method-assign]
        ReadShortcut(app.wsgi_app, reads, database.sessions), settings.sites
    )
    if settings.trusted_proxies:
        # Outermost, so that everything inside sees the reader's address.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.trusted_proxies,
            x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies,
        )
    return app


def start_background_work(app: Flask) -> None:
    """Start what a serving process runs beside requests (the requeue sweep)."""
    from commentsvc.deps import deps

    if deps(app).settings.requeue_in_background:
        deps(app).requeue.start()
