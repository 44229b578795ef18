"""`commentsvc people ...`: the data-rights requests a site owner answers by hand."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from commentsvc.models import Comment
from commentsvc.store.database import utcnow
from tests.conftest import ARTICLE
from tests.test_cli import run


def environment(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "COMMENTSVC_DATABASE_URL": database_url,
        "COMMENTSVC_REDIS_URL": redis_url,
        "COMMENTSVC_DATA_DIR": str(tmp_path),
    }


def test_export_then_erase_from_the_command_line(
    client: Any, post_comment: Any, approve: Any, database_url: str, redis_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    env = environment(database_url, redis_url, tmp_path)
    first = post_comment().json["id"]
    approve(first)
    post_comment(body="Pending one").json["id"]
    client.get("/api/v1/comments", query_string={"url": ARTICLE})  # cached with her name

    exported = run("people", "export", "ada@EXAMPLE.com", env=env)
    erased = run("people", "erase", "ada@example.com", env=env)
    unknown = run("people", "export", "ada@example.com", env=env)
    invalid = run("people", "erase", "not an address", env=env)

    assert exported.exit_code == 0, exported.stderr
    person = json.loads(exported.stdout)
    assert person["email"] == "ada@example.com"
    assert [c["status"] for c in person["comments"]] == ["approved", "pending"]
    assert person["comments"][0]["url"] == ARTICLE and person["comments"][0]["ip"] == "127.0.0.1"
    assert erased.exit_code == 0, erased.stderr
    assert json.loads(erased.stdout.splitlines()[-1])["comments_anonymised"] == 2
    page = client.get("/api/v1/comments", query_string={"url": ARTICLE}).json
    assert page["comments"][0]["author"] == {"name": "Anonymous", "website": None}
    assert unknown.exit_code == 1 and "No comments or other data" in unknown.stderr
    assert invalid.exit_code == 1 and "valid email address" in invalid.stderr


def test_erase_with_comments_and_purge(
    app: Any, client: Any, post_comment: Any, approve: Any, database_url: str,
    redis_url: str, tmp_path: Path,
) -> None:  # fmt: skip
    env = environment(database_url, redis_url, tmp_path)
    hers = post_comment().json["id"]
    his = post_comment(name="Bob", email="bob@example.com").json["id"]
    approve(hers)
    approve(his)
    with app.extensions["commentsvc"].database.sessions() as session:
        old = utcnow() - timedelta(days=91)
        session.execute(update(Comment).where(Comment.id == his).values(created_at=old))
        session.commit()

    erased = run("people", "erase", "ada@example.com", "--with-comments", env=env)
    purged = run("people", "purge", env=env)

    assert json.loads(erased.stdout.splitlines()[-1])["comments_deleted"] == 1
    assert purged.exit_code == 0, purged.stderr
    assert purged.stdout.strip() == "1 comment purged of data older than 90 days"
    page = client.get("/api/v1/comments", query_string={"url": ARTICLE}).json
    assert [c["id"] for c in page["comments"]] == [his]
