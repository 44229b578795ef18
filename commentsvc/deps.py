"""What the views hand to services: built once per app by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from redis import Redis

from commentsvc.comments.ratelimit import PostLimiter
from commentsvc.config import Settings
from commentsvc.moderation.queue import ModerationQueue
from commentsvc.spam.pipeline import SpamFilter
from commentsvc.store.cache import ThreadCache
from commentsvc.store.database import Database


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    database: Database
    redis: Redis
    queue: ModerationQueue
    cache: ThreadCache
    spam: SpamFilter
    limiter: PostLimiter


def deps() -> Dependencies:
    dependencies: Dependencies = current_app.extensions["commentsvc"]
    return dependencies
