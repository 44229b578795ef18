"""What the views hand to services: built once per app by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from redis import Redis

from commentsvc.comments.cache import ThreadCache
from commentsvc.config import Settings
from commentsvc.db import Database
from commentsvc.moderation.queue import ModerationQueue
from commentsvc.moderation.rules import Rules
from commentsvc.ratelimit import PostLimiter


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    database: Database
    redis: Redis
    queue: ModerationQueue
    cache: ThreadCache
    rules: Rules
    limiter: PostLimiter


def deps() -> Dependencies:
    dependencies: Dependencies = current_app.extensions["commentsvc"]
    return dependencies
