"""Redis through Sentinel: the app follows a fail-over without a restart."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from commentsvc.config import ConfigError, Settings
from commentsvc.moderation.services import add_moderator
from tests.conftest import ARTICLE, SITE, comment_payload
from tests.store.conftest import PASSWORD, SentinelGroup, wait_until
from tests.test_cli import http, run, serving


def moderator(app: Any) -> dict[str, str]:
    with app.extensions["commentsvc"].database.sessions() as session:
        return {"Authorization": f"Bearer {add_moderator(session, 'alice')}"}


def thread(client: Any) -> list[str]:
    answer = client.get("/api/v1/comments", query_string={"url": ARTICLE})
    assert answer.status_code == 200
    return [comment["html"] for comment in answer.json["comments"]]


def test_the_app_posts_queues_and_reads_through_sentinel_with_the_password_setting(
    make_app: Any, sentinels: SentinelGroup
) -> None:
    app = make_app(redis_url=sentinels.url(with_password=False), redis_password=PASSWORD)
    client, auth = app.test_client(), moderator(app)

    posted = client.post("/api/v1/comments", json=comment_payload(body="through Sentinel"))
    queued = client.get("/api/v1/moderation/queue", headers=auth).json["comments"]
    primary = Redis(port=sentinels.primary_port, password=PASSWORD)

    assert posted.status_code == 202
    assert [item["id"] for item in queued] == [posted.json["id"]]
    assert primary.xlen("commentsvc:moderation") == 1
    assert client.get("/healthz").status_code == 200


def test_after_the_primary_is_killed_the_app_keeps_posting_reading_and_deciding(
    make_app: Any, sentinels: SentinelGroup
) -> None:
    app = make_app(redis_url=sentinels.url(), post_rate_limit="3/minute")
    client, auth = app.test_client(), moderator(app)
    first = client.post("/api/v1/comments", json=comment_payload(body="before"))
    client.get("/api/v1/moderation/queue", headers=auth)
    client.post(f"/api/v1/moderation/comments/{first.json['id']}", json={"action": "approve"},
                headers=auth)  # fmt: skip
    assert thread(client) == ["<p>before</p>"]  # the page is cached and trusted now

    old_port = sentinels.kill_primary()
    # Before the Sentinels agree, Redis is simply down: answers come from the database.
    during = client.post("/api/v1/comments", json=comment_payload(body="during"),
                         environ_base={"REMOTE_ADDR": "10.0.0.1"})  # fmt: skip
    assert during.status_code == 202
    assert thread(client) == ["<p>before</p>"]
    new_port = sentinels.wait_for_promotion(old_port)
    promoted = Redis(port=new_port, password=PASSWORD)
    # The replica never saw this process's scripts loaded: make sure of it, so the
    # calls below prove they are loaded again (EVALSHA, NOSCRIPT, SCRIPT LOAD).
    promoted.script_flush()

    answers = [
        client.post("/api/v1/comments", json=comment_payload(body=f"after {n}"),
                    environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code
        for n in range(4)
    ]  # fmt: skip
    assert answers == [202, 202, 202, 429]  # the rate limit counts on the new primary
    # The comment posted during the outage is pushed again by the requeue pass.
    from commentsvc.moderation.services import requeue_missing

    state = app.extensions["commentsvc"]
    with state.database.sessions() as session:
        requeue_missing(session, state.queue)
    claimed = client.get("/api/v1/moderation/queue?limit=10", headers=auth).json["comments"]
    assert sorted(item["body"] for item in claimed) == ["after 0", "after 1", "after 2", "during"]

    for item in claimed:
        decided = client.post(f"/api/v1/moderation/comments/{item['id']}",
                              json={"action": "approve"}, headers=auth)  # fmt: skip
        assert decided.status_code == 200 and decided.json["status"] == "approved"
    assert thread(client) == [f"<p>{body}</p>" for body in
                              ("before", "during", "after 0", "after 1", "after 2")]  # fmt: skip
    counts = client.get("/api/v1/counts", query_string={"url": ARTICLE}).json["counts"]
    assert counts == {ARTICLE: 5}
    # The cache's listener for invalidation messages found the new primary too.
    wait_until(
        lambda: thread(client) and any("t" in entry["flags"] for entry in promoted.client_list()),
        "the invalidation listener tracks keys on the new primary",
    )
    decided = client.post(f"/api/v1/moderation/comments/{first.json['id']}",
                          json={"action": "reject"}, headers=auth)  # fmt: skip
    assert decided.status_code == 200
    assert "<p>before</p>" not in thread(client)


def test_a_bad_sentinel_url_stops_start_up_naming_the_variable(tmp_path: Path) -> None:
    bad_url = "redis+sentinel://:s3cret@h1:26379"
    result = run(
        "serve", env={"COMMENTSVC_DATA_DIR": str(tmp_path), "COMMENTSVC_REDIS_URL": bad_url}
    )

    assert result.exit_code != 0
    assert "COMMENTSVC_REDIS_URL" in result.stderr and "MASTER_NAME" in result.stderr
    assert "s3cret" not in result.stderr


def test_serve_with_a_sentinel_url_uses_it_and_starts_no_redis_of_its_own(
    tmp_path: Path, sentinels: SentinelGroup, database_url: str
) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "COMMENTSVC_DATA_DIR": str(data), "COMMENTSVC_SITES": SITE,
           "COMMENTSVC_WORKERS": "1", "COMMENTSVC_REDIS_URL": sentinels.url(),
           "COMMENTSVC_DATABASE_URL": database_url}  # fmt: skip

    with serving(env) as (base, server):
        posted = http("POST", f"{base}/api/v1/comments", comment_payload(body="served"))
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children]
    output = server.stdout.read() if server.stdout else ""

    assert posted[0] == 202
    assert not any(b"redis" in command for command in commands)
    assert not (data / "redis").exists()
    assert PASSWORD not in output and "redis+sentinel://:***@" in output
    primary = Redis(port=sentinels.primary_port, password=PASSWORD)
    assert primary.xlen("commentsvc:moderation") == 1


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis+sentinel://:pw@h1:26379,h2:26379", "must name the primary"),
        ("redis+sentinel://h1:26379/mymaster/zero", "is not a database number"),
        ("redis+sentinel://h1:port/mymaster", "is not a Sentinel HOST:PORT"),
        ("redis+sentinel://:pw@/mymaster", "is not a Sentinel HOST:PORT"),
    ],
)
def test_each_mistake_in_a_sentinel_url_is_named_without_the_password(
    url: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"COMMENTSVC_REDIS_URL": url})

    assert raised.value.variable == "COMMENTSVC_REDIS_URL"
    assert problem in raised.value.problem and ":pw@" not in raised.value.problem


def test_a_sentinel_url_with_several_sentinels_a_password_and_a_database_is_accepted() -> None:
    url = "redis+sentinel://:p%40ss@10.0.0.1:26379,10.0.0.2:26380/mymaster/2"

    assert Settings.from_env({"COMMENTSVC_REDIS_URL": url}).redis_url == url
