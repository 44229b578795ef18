"""``/healthz``: 200 when the database and Redis both answer, else 503 naming the
one that did not."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from commentsvc.deps import deps
from commentsvc.store.redis_failures import note, refuses_writes
from commentsvc.web.errors import envelope

blueprint = Blueprint("health", __name__)
PROBE_KEY = "commentsvc:health"


def check_dependencies() -> dict[str, str]:
    checks = {}
    try:
        with deps().database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"down: {type(exc).__name__}"
    checks["redis"] = _redis_state(deps().redis)
    return checks


def _redis_state(redis: Redis) -> str:
    """ "ok", "down: ..." or "refuses writes: ...": a full or read-only Redis answers
    PING, yet it cannot count posts, cache pages or queue comments."""
    try:
        redis.ping()
        redis.set(PROBE_KEY, "1", ex=60)
    except RedisError as exc:
        note("health check", exc, "reported by /healthz")
        if refuses_writes(exc):
            return f"refuses writes: {str(exc).splitlines()[0][:120]}"
        return f"down: {type(exc).__name__}"
    return "ok"


@blueprint.get("/healthz")
def healthz() -> Any:
    checks = check_dependencies()
    failed = [name for name, state in checks.items() if state != "ok"]
    if failed:
        return envelope(503, _problem(checks, failed), checks=checks)
    return {"status": "ok", "checks": checks}


_NAMES = {"database": "the database", "redis": "Redis"}


def _problem(checks: dict[str, str], failed: list[str]) -> str:
    """ "Redis is not answering.", "Redis refuses writes (…).", and the like."""
    down = [_NAMES[name] for name in failed if checks[name].startswith("down")]
    parts = []
    if down:
        verb = " is" if len(down) == 1 else " are"
        parts.append(" and ".join(down) + verb + " not answering")
    if checks["redis"].startswith("refuses writes"):
        parts.append("Redis refuses writes (it is out of memory, or a read-only replica)")
    message = "; ".join(parts)
    return message[0].upper() + message[1:] + "."
