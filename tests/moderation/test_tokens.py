"""A lost token is replaced with `commentsvc moderators token NAME`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.test_cli import run


def test_a_new_token_works_and_the_old_one_stops_at_once(
    client: Any, database_url: str, tmp_path: Path
) -> None:
    env = {"COMMENTSVC_DATABASE_URL": database_url, "COMMENTSVC_DATA_DIR": str(tmp_path)}
    old = run("moderators", "add", "alice", env=env).stdout.strip().splitlines()[-1]
    assert client.get("/api/v1/moderation/people/a@example.com",
                      headers={"Authorization": f"Bearer {old}"}).status_code == 404  # fmt: skip

    issued = run("moderators", "token", "alice", env=env)
    unknown = run("moderators", "token", "mallory", env=env)

    assert issued.exit_code == 0, issued.stderr
    new = issued.stdout.strip().splitlines()[-1]
    assert len(new) >= 40 and new != old
    queue = "/api/v1/moderation/queue"
    assert client.get(queue, headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert client.get(queue, headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert unknown.exit_code == 1
    assert "There is no moderator called 'mallory'." in unknown.stderr
    assert "Traceback" not in unknown.stderr
