"""The one registry of the app's shared objects: built once per app by
``create_app``, kept under one key of ``app.extensions``, read with ``deps()``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from redis import Redis

    from commentsvc.config import Settings
    from commentsvc.moderation.queue import ModerationQueue
    from commentsvc.moderation.requeue import RequeueSweeper
    from commentsvc.spam.pipeline import SpamFilter
    from commentsvc.store.cache import ThreadCache
    from commentsvc.store.database import Database
    from commentsvc.web.embed import Asset

EXTENSION = "commentsvc"


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    database: Database
    redis: Redis
    queue: ModerationQueue
    cache: ThreadCache
    spam: SpamFilter
    requeue: RequeueSweeper
    # The widget's files, read and compressed once (web.embed).
    embed_assets: Mapping[str, Asset]


def deps(app: Flask | None = None) -> Dependencies:
    """The shared objects of ``app``, by default of the app handling this request."""
    dependencies: Dependencies = (app or current_app).extensions[EXTENSION]
    return dependencies
