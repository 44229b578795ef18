"""``/healthz``: 200 when the database and Redis both answer, else 503 naming the
one that did not."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from commentsvc.deps import deps
from commentsvc.web.errors import envelope

blueprint = Blueprint("health", __name__)


def check_dependencies() -> dict[str, str]:
    checks = {}
    try:
        with deps().database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        deps().redis.ping()
        checks["redis"] = "ok"
    except RedisError as exc:
        checks["redis"] = f"down: {type(exc).__name__}"
    return checks


@blueprint.get("/healthz")
def healthz() -> Any:
    checks = check_dependencies()
    failed = [name for name, state in checks.items() if state != "ok"]
    if failed:
        message = " and ".join(failed).capitalize() + (" is" if len(failed) == 1 else " are")
        return envelope(503, f"{message} not answering.", checks=checks)
    return {"status": "ok", "checks": checks}
