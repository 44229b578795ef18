"""Export and import: a complete backup, restored without losing anything."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from commentsvc.cli import main
from commentsvc.comments.models import Thread
from commentsvc.importers.jsonlines import export_records, import_records, write_export
from commentsvc.moderation.models import Moderator
from commentsvc.store import database as db
from commentsvc.store import migrate
from commentsvc.web.errors import BadRequest
from tests.conftest import ARTICLE, SITE

# A comment of a thread 2 that a file does not contain.
COMMENT_OF_THREAD_2 = orjson.dumps({
    "type": "comment", "id": 1, "thread_id": 2, "parent_id": None, "author_name": "A",
    "author_email": "a@example.com", "author_website": None, "body": "b", "html": "<p>b</p>",
    "status": "approved", "spam_reasons": [], "remote_addr": None,
    "created_at": "2026-11-24T12:00:00+00:00", "decided_at": None, "decided_by_id": None,
}) + b"\n"  # fmt: skip


@pytest.fixture
def populated(client: Any, post_comment: Any, approve: Any, app: Any) -> Any:
    """Every kind of record: statuses, a reply, a decision, two moderators, two threads."""
    parent = post_comment(body="parent").json["id"]
    approve(parent)
    approve(post_comment(body="reply", parent_id=parent).json["id"])
    approve(post_comment(body="rejected").json["id"], "reject")
    approve(post_comment(body="spam", email="s@example.com").json["id"], "spam")
    post_comment(body="still pending", url="https://blog.example.com/other")
    return app


def export_bytes(database_url: str) -> bytes:
    engine = db.make_engine(database_url)
    try:
        with db.Database(engine).sessions() as session:
            output = io.BytesIO()
            write_export(session, output)
            return output.getvalue()
    finally:
        engine.dispose()


def fresh_sqlite(tmp_path: Path, name: str) -> str:
    url = f"sqlite:///{tmp_path / name}"
    engine = db.make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def test_export_then_import_into_an_empty_database_loses_nothing(
    populated: Any, settings: Any, tmp_path: Path
) -> None:
    exported = export_bytes(settings.database_url)
    target = fresh_sqlite(tmp_path, "restored.sqlite3")

    engine = db.make_engine(target)
    with db.Database(engine).sessions() as session:
        counts = import_records(session, io.BytesIO(exported))
    engine.dispose()

    assert counts == {"moderator": 1, "thread": 2, "comment": 5}
    assert export_bytes(target) == exported
    lines = exported.decode().splitlines()
    assert '"email"' not in lines[0]
    assert sum('"author_email":"ada@example.com"' in line for line in lines) == 4
    assert sum('"status":"pending"' in line for line in lines) == 1


def test_a_restored_database_serves_the_same_threads_and_takes_new_comments(
    populated: Any, settings: Any, make_app: Any, tmp_path: Path, redis_url: str
) -> None:
    exported = export_bytes(settings.database_url)
    target = fresh_sqlite(tmp_path, "restored.sqlite3")
    engine = db.make_engine(target)
    with db.Database(engine).sessions() as session:
        import_records(session, io.BytesIO(exported))
    engine.dispose()
    before = populated.test_client().get("/api/v1/comments", query_string={"url": ARTICLE}).json

    restored = make_app(database_url=target).test_client()
    after = restored.get("/api/v1/comments", query_string={"url": ARTICLE}).json
    new = restored.post(
        "/api/v1/comments",
        json={"url": ARTICLE, "name": "N", "email": "n@example.com", "body": "after restore"},
    )

    assert after == before
    assert new.status_code == 202 and new.json["id"] == 6


def test_import_into_the_configured_database_restores_ids_and_sequences(
    client: Any, settings: Any, tmp_path: Path, redis_url: str
) -> None:
    """On PostgreSQL (COMMENTSVC_TEST_DATABASE_URL) this checks the sequences too."""
    source = fresh_sqlite(tmp_path, "source.sqlite3")
    from commentsvc import create_app

    source_app = create_app(settings.with_overrides(database_url=source))
    source_client = source_app.test_client()
    for n in range(3):
        source_client.post(
            "/api/v1/comments",
            json={"url": ARTICLE, "name": "N", "email": f"n{n}@example.com", "body": f"c{n}"},
        )
    source_app.extensions["commentsvc"].database.engine.dispose()
    exported = export_bytes(source)

    engine = db.make_engine(settings.database_url)
    with db.Database(engine).sessions() as session:
        import_records(session, io.BytesIO(exported))
    engine.dispose()
    restored = export_bytes(settings.database_url)
    created = client.post(
        "/api/v1/comments",
        json={"url": ARTICLE, "name": "N", "email": "new@example.com", "body": "next"},
    )

    assert restored == exported
    assert created.status_code == 202 and created.json["id"] == 4


def test_import_refuses_a_database_that_is_not_empty(populated: Any, settings: Any) -> None:
    exported = export_bytes(settings.database_url)
    engine = db.make_engine(settings.database_url)
    with db.Database(engine).sessions() as session, pytest.raises(BadRequest, match="not empty"):
        import_records(session, io.BytesIO(exported))
    engine.dispose()


def test_the_export_and_import_commands_round_trip(
    populated: Any, settings: Any, tmp_path: Path
) -> None:
    dump = tmp_path / "backup.jsonl"
    target = f"sqlite:///{tmp_path / 'cli-restored.sqlite3'}"
    env = {"COMMENTSVC_DATA_DIR": str(tmp_path)}
    runner = CliRunner()

    exported = runner.invoke(
        main, ["export", "--output", str(dump)],
        env={**env, "COMMENTSVC_DATABASE_URL": settings.database_url},
    )  # fmt: skip
    imported = runner.invoke(
        main, ["import", str(dump)], env={**env, "COMMENTSVC_DATABASE_URL": target}
    )
    to_stdout = runner.invoke(main, ["export"], env={**env, "COMMENTSVC_DATABASE_URL": target})

    assert (exported.exit_code, imported.exit_code, to_stdout.exit_code) == (0, 0, 0)
    assert "exported 8 records" in exported.stderr
    assert "imported 1 moderators, 2 threads, 5 comments" in imported.stderr
    assert to_stdout.stdout_bytes == dump.read_bytes()


def test_an_export_taken_while_readers_post_is_one_consistent_moment(
    populated: Any, settings: Any, client: Any, tmp_path: Path
) -> None:
    """A live backup: a reader starts a new article's thread while the export is between
    the threads and the comments. The export holds the moment it started, so it does
    not carry a comment whose thread it lacks, and it restores."""
    before = export_bytes(settings.database_url)
    engine = db.make_engine(settings.database_url)
    with db.Database(engine).sessions() as session:
        records = export_records(session)
        taken = [next(records) for _ in range(1 + 1 + 2)]  # header, moderator, 2 threads
        assert taken[-1]["type"] == "thread"
        posted = client.post(
            "/api/v1/comments",
            json={"url": f"{SITE}/new-during-export", "name": "N", "email": "n@example.com",
                  "body": "posted during the export"},
        )  # fmt: skip
        taken += list(records)
    engine.dispose()
    exported = b"".join(orjson.dumps(record) + b"\n" for record in taken)
    target = fresh_sqlite(tmp_path, "restored.sqlite3")
    engine = db.make_engine(target)
    with db.Database(engine).sessions() as session:
        counts = import_records(session, io.BytesIO(exported))
    engine.dispose()

    assert posted.status_code == 202
    assert exported == before
    assert counts == {"moderator": 1, "thread": 2, "comment": 5}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b'{"type": "comment"}\n', "not a commentsvc-export file"),
        (b"HEADER\nnot json\n", "line 2 is not JSON"),
        (b'HEADER\n{"type": "thread", "id": 1, "url": "https://blog.example.com/a",'
         b' "created_at": "yesterday"}\n', "line 2: Invalid isoformat"),
        (b'HEADER\n{"type": "thread", "id": 1, "url": "https://blog.example.com/a",'
         b' "created_at": "2026-11-24T12:00:00+00:00"}\n' + COMMENT_OF_THREAD_2,
         "does not fit together"),
    ],
    ids=["empty", "no-header", "not-json", "bad-time", "missing-thread"],
)  # fmt: skip
def test_import_refuses_a_broken_file_and_leaves_the_database_empty(
    database_url: str, content: bytes, message: str
) -> None:
    header = orjson.dumps({"type": "header", "format": "commentsvc-export", "version": 1})
    engine = db.make_engine(database_url)
    with db.Database(engine).sessions() as session:
        with pytest.raises(BadRequest, match=message):
            import_records(session, io.BytesIO(content.replace(b"HEADER", header)))
        assert session.scalar(select(func.count()).select_from(Thread)) == 0
    engine.dispose()


def test_the_import_command_names_the_problem(database_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["import", "-"], input=b"",
        env={"COMMENTSVC_DATABASE_URL": database_url, "COMMENTSVC_DATA_DIR": str(tmp_path)},
    )  # fmt: skip

    assert result.exit_code == 1
    assert "Error: the file is empty" in result.stderr
    assert "Traceback" not in result.output


HEADER = orjson.dumps({"type": "header", "format": "commentsvc-export", "version": 1}) + b"\n"
THREAD_1 = (b'{"type": "thread", "id": 1, "url": "https://blog.example.com/a",'
            b' "created_at": "2026-11-24T12:00:00+00:00"}\n')  # fmt: skip


def test_import_renders_the_html_from_the_text_and_never_trusts_the_file(
    database_url: str, make_app: Any
) -> None:
    record = orjson.loads(COMMENT_OF_THREAD_2)
    record.update(thread_id=1, spam_score=0.0, body="Just *text*",
                  html='<img src=x onerror="alert(1)"><script>alert(2)</script>')  # fmt: skip
    engine = db.make_engine(database_url)
    with db.Database(engine).sessions() as session:
        import_records(session, io.BytesIO(HEADER + THREAD_1 + orjson.dumps(record) + b"\n"))
    engine.dispose()

    page = (
        make_app()
        .test_client()
        .get("/api/v1/comments", query_string={"url": "https://blog.example.com/a"})
    )

    assert [c["html"] for c in page.json["comments"]] == ["<p>Just <em>text</em></p>"]


@pytest.mark.parametrize(
    "token_hash",
    ["secret-token-in-clear", "A" * 64, "0" * 63, "g" * 64, 12345, None],
    ids=["clear", "uppercase", "short", "not-hex", "number", "missing"],
)
def test_import_refuses_moderator_token_hashes_not_of_the_stored_form(
    database_url: str, token_hash: Any
) -> None:
    moderator = {"type": "moderator", "id": 1, "name": "eve", "token_hash": token_hash,
                 "created_at": "2026-11-24T12:00:00+00:00"}  # fmt: skip
    engine = db.make_engine(database_url)
    with db.Database(engine).sessions() as session:
        with pytest.raises(BadRequest, match="line 2: a moderator's token_hash must be 64"):
            import_records(session, io.BytesIO(HEADER + orjson.dumps(moderator) + b"\n"))
        assert session.scalar(select(func.count()).select_from(Moderator)) == 0
    engine.dispose()
