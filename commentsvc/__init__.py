"""commentsvc: comments for article pages, moderated through a Redis queue."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from commentsvc.config import ConfigError, Settings, parse_rates

if TYPE_CHECKING:
    from flask import Flask

MAX_REQUEST_BYTES = 64 * 1024


def create_app(config: Settings | Mapping[str, Any] | None = None) -> Flask:
    """The app factory. ``config`` is a ``Settings``, or overrides of the settings
    read from the environment (e.g. ``{"redis_url": ...}``), or None."""
    # Imported here, not at the top: the `commentsvc` command and the gunicorn master
    # import this package too, and stay small without Flask and SQLAlchemy.
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from commentsvc.comments import ratelimit
    from commentsvc.comments import views as comment_views
    from commentsvc.deps import Dependencies
    from commentsvc.moderation import page as moderation_page
    from commentsvc.moderation import views as moderation_views
    from commentsvc.moderation.queue import ModerationQueue
    from commentsvc.moderation.requeue import RequeueSweeper
    from commentsvc.moderation.rules import Rules
    from commentsvc.store import database as db
    from commentsvc.store import redis_client as redisconn
    from commentsvc.store.cache import ThreadCache
    from commentsvc.web import cors, embed, errors, health, metrics, openapi, requestlog
    from commentsvc.web.fastpath import CachedReads
    from commentsvc.web.jsonprovider import OrjsonProvider

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
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_REQUEST_BYTES,
    )
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    database = db.init_app(app, settings.effective_database_url)
    redis = redisconn.init_app(
        app, settings.redis_url, settings.redis_timeout_seconds, settings.redis_password
    )
    queue = ModerationQueue(redis, settings.moderation_lease_seconds)
    app.extensions["commentsvc"] = Dependencies(
        settings=settings,
        database=database,
        redis=redis,
        queue=queue,
        cache=ThreadCache(redis, settings.thread_cache_seconds),
        rules=Rules(settings.blocked_words, settings.max_links),
        limiter=ratelimit.PostLimiter(redis, parse_rates(settings.post_rate_limit)),
    )
    app.extensions["commentsvc.requeue"] = RequeueSweeper(
        database.sessions, queue, settings.requeue_interval_seconds
    )

    errors.init_app(app)
    requestlog.init_app(app)
    cors.init_app(app)
    app.register_blueprint(comment_views.blueprint)
    app.register_blueprint(moderation_views.blueprint)
    app.register_blueprint(moderation_page.blueprint)
    app.register_blueprint(health.blueprint)
    embed.init_app(app)
    openapi.init_app(app)
    metrics.init_app(app)
    # Cache hits of the two hottest reads are answered before Flask dispatches.
    app.wsgi_app = CachedReads(  # type: ignore[method-assign]
        app.wsgi_app, app.extensions["commentsvc"].cache, settings.sites
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
    settings: Settings = app.extensions["commentsvc"].settings
    if settings.requeue_in_background:
        app.extensions["commentsvc.requeue"].start()
