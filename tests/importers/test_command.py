"""`commentsvc import --from ...` as a site owner runs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import SITE
from tests.importers.exports import DATA, WPComment, WPPost, wxr


def commentsvc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["commentsvc", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_the_command_imports_queues_pending_comments_and_ends_with_counts(
    database_url: str, redis_url: str, tmp_path: Path, make_app: Any
) -> None:
    article = f"{SITE}/2019/moved/"
    export = tmp_path / "blog.xml"
    export.write_bytes(wxr([WPPost(1, article, [
        WPComment(1, "kept"), WPComment(2, "reply", parent=1), WPComment(3, "held", approved="0"),
        WPComment(4, "ping", type="pingback"),
    ])]))  # fmt: skip
    env = {"COMMENTSVC_DATABASE_URL": database_url, "COMMENTSVC_REDIS_URL": redis_url,
           "COMMENTSVC_DATA_DIR": str(tmp_path), "COMMENTSVC_SITES": SITE}  # fmt: skip
    reader = make_app().test_client()
    assert reader.get("/api/v1/counts", query_string={"url": article}).json["counts"][article] == 0

    dry = commentsvc("import", "--from", "wordpress", str(export), "--dry-run", "--site", env=env)
    done = commentsvc("import", "--from", "wordpress", str(export), "--site", env=env)
    again = commentsvc("import", "--from", "wordpress", str(export), env=env)

    assert dry.returncode == 0, dry.stderr
    assert dry.stderr.splitlines()[0] == (
        "would import 3 comments from wordpress (1 pending, 2 approved, 0 rejected, 0 spam)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "imported 3 comments from wordpress (1 pending, 2 approved, 0 rejected, 0 spam)",
        "threads: 1 new, 0 already there",
        "skipped 1: pingback or trackback (--with-pingbacks imports them)",
        "1 pending comments put on the moderation queue",
    ]
    assert "imported 0 comments" in again.stderr and "skipped 3: already imported" in again.stderr
    # The page and count the reader saw before are not served from the cache any more.
    assert reader.get("/api/v1/counts", query_string={"url": article}).json["counts"][article] == 2
    queue = make_app().extensions["commentsvc"].queue
    assert queue.length() == 1


def test_a_broken_file_ends_the_command_with_its_line_and_no_traceback(
    database_url: str, tmp_path: Path
) -> None:
    env = {"COMMENTSVC_DATABASE_URL": database_url, "COMMENTSVC_DATA_DIR": str(tmp_path)}

    result = commentsvc("import", "--from", "disqus", str(DATA / "remark42-disqus-broken.xml"),
                        env=env)  # fmt: skip

    assert result.returncode == 1
    assert "Error: remark42-disqus-broken.xml is not well-formed XML" in result.stderr
    assert "at line 1, column 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_options_without_from_are_refused(database_url: str, tmp_path: Path) -> None:
    env = {"COMMENTSVC_DATABASE_URL": database_url, "COMMENTSVC_DATA_DIR": str(tmp_path)}

    result = commentsvc("import", "--dry-run", str(DATA / "isso-wordpress.xml"), env=env)

    assert result.returncode == 2
    assert "need --from" in result.stderr


def test_with_redis_down_the_import_is_kept_and_the_pending_comments_queued_later(
    database_url: str, redis_url: str, tmp_path: Path, make_app: Any
) -> None:
    from commentsvc.runtime.embedded_redis import free_port

    export = tmp_path / "blog.xml"
    export.write_bytes(wxr([WPPost(1, f"{SITE}/down/", [
        WPComment(1, "shown"), WPComment(2, "held", approved="0"),
    ])]))  # fmt: skip
    env = {"COMMENTSVC_DATABASE_URL": database_url, "COMMENTSVC_DATA_DIR": str(tmp_path)}
    nobody = f"redis://127.0.0.1:{free_port()}/0"

    done = commentsvc("import", "--from", "wordpress", str(export),
                      env={**env, "COMMENTSVC_REDIS_URL": nobody})  # fmt: skip
    requeued = commentsvc("queue", "requeue", env={**env, "COMMENTSVC_REDIS_URL": redis_url})

    assert done.returncode == 0, done.stderr
    assert "imported 2 comments" in done.stderr
    assert "Redis is not reachable" in done.stderr
    assert "expire by themselves" in done.stderr
    assert requeued.stdout.strip() == "1 pending comments put back on the queue"
    assert make_app().extensions["commentsvc"].queue.length() == 1
