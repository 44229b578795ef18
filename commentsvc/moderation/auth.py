"""Moderator authentication: ``Authorization: Bearer TOKEN``.

A missing, malformed or unknown token gets the same 401, so an answer never
tells which part was wrong."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request

from commentsvc.moderation.models import Moderator
from commentsvc.moderation.services import authenticate
from commentsvc.store import database as db
from commentsvc.web.errors import Unauthorized


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def moderator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        moderator = authenticate(db.session(), _bearer_token())
        if moderator is None:
            raise Unauthorized()
        g.moderator = moderator
        return view(*args, **kwargs)

    return wrapper


def current_moderator() -> Moderator:
    moderator: Moderator = g.moderator
    return moderator
