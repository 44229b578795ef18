"""What a site owner operates with: metrics, request ids, the client IP behind a proxy."""

from __future__ import annotations

import logging
import os
import re
import subprocess
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from commentsvc.config import PREFIX, Settings
from commentsvc.runtime.embedded_redis import free_port
from tests.conftest import ARTICLE, bearer, comment_payload


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in metrics")


def test_metrics_count_posts_decisions_and_the_queue(
    client: Any, post_comment: Any, approve: Any
) -> None:
    before = client.get("/metrics").get_data(as_text=True)
    first = post_comment().json["id"]
    post_comment(body="second")
    approve(first)

    response = client.get("/metrics")
    after = response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    posted = "commentsvc_comments_posted_total"
    assert metric(after, posted) - metric(before, posted) == 2
    approvals = 'commentsvc_decisions_total{action="approve"}'
    assert metric(after, approvals) - (metric(before, approvals) if approvals in before else 0) == 1
    assert metric(after, "commentsvc_moderation_queue_length") == 1
    assert metric(after, "commentsvc_moderation_queue_oldest_age_seconds") >= 0
    assert 'commentsvc_request_duration_seconds_count{endpoint="comments.post_comment"' in after


def test_every_answer_carries_a_request_id_and_is_logged(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="commentsvc.requests"):
        given = client.get(
            "/api/v1/comments", query_string={"url": ARTICLE}, headers={"X-Request-ID": "edge-42"}
        )
        made = client.get("/healthz")
        hostile = client.get("/healthz", headers={"X-Request-ID": "<script>"})

    assert given.headers["X-Request-ID"] == "edge-42"
    assert len(made.headers["X-Request-ID"]) == 32
    assert hostile.headers["X-Request-ID"] != "<script>"
    lines = [r.getMessage() for r in caplog.records if r.name == "commentsvc.requests"]
    assert any(
        line.startswith("GET /api/v1/comments 200 ") and "id=edge-42" in line for line in lines
    )


@pytest.mark.parametrize(("trusted", "expected_ip"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_the_client_ip_comes_from_the_proxy_only_when_trusted(
    make_app: Any, make_moderator: Any, trusted: int, expected_ip: str
) -> None:
    app = make_app(trusted_proxies=trusted, post_rate_limit="1/minute")
    client = app.test_client()
    auth = bearer(make_moderator("alice"))
    forwarded = {"X-Forwarded-For": "203.0.113.7"}

    first = client.post("/api/v1/comments", json=comment_payload(), headers=forwarded)
    other_client = client.post(
        "/api/v1/comments",
        json=comment_payload(body="b"),
        headers={"X-Forwarded-For": "198.51.100.9"},
    )

    assert first.status_code == 202
    queued = client.get("/api/v1/moderation/queue", headers=auth).json["comments"]
    assert queued[0]["ip"] == expected_ip
    # Behind a trusted proxy each client has its own limit; untrusted, the header is ignored.
    assert other_client.status_code == (202 if trusted else 429)


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("COMMENTSVC_LOG_LEVEL", "loud", "is not a log level"),
        ("COMMENTSVC_WORKERS", "0", "must be 1 or more"),
        ("COMMENTSVC_DATA_DIR", "{file}/data", "cannot be used by user id"),
        ("COMMENTSVC_DATABASE_URL", "postgresql://app:pw-not-shown@127.0.0.1:{port}/x",
         "cannot connect to postgresql+psycopg://app:***@127.0.0.1"),
    ],
    ids=["log-level", "workers", "data-dir", "database-down"],
)  # fmt: skip
def test_serve_stops_at_start_up_naming_the_variable_and_the_problem(
    tmp_path: Path, variable: str, value: str, problem: str
) -> None:
    (tmp_path / "file").write_text("a file where a directory should be")
    env = {**os.environ, "COMMENTSVC_DATA_DIR": str(tmp_path / "data")}
    env.pop("COMMENTSVC_REDIS_URL", None)
    env[variable] = value.format(file=tmp_path / "file", port=free_port())

    result = subprocess.run(
        ["commentsvc", "serve", "--port", str(free_port())],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert result.returncode == 1
    assert f"Error: {variable}: " in result.stderr and problem in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert "pw-not-shown" not in result.stderr


ROOT = Path(__file__).parent.parent
VARIABLES = {PREFIX + setting.name.upper() for setting in fields(Settings)}


@pytest.mark.parametrize("document", ["README.md", "docs/operations.md"])
def test_the_configuration_reference_lists_every_variable_and_no_other(document: str) -> None:
    text = (ROOT / document).read_text()
    rows = set(re.findall(r"^\| `(COMMENTSVC_\w+)` \|", text, re.MULTILINE))
    mentioned = set(re.findall(r"COMMENTSVC_[A-Z0-9_]+[A-Z0-9]", text)) - {
        "COMMENTSVC_TEST_DATABASE_URL"
    }

    assert rows == VARIABLES
    assert mentioned <= VARIABLES, "a variable that does not exist"


def test_compose_waits_for_healthy_postgres_and_persistent_redis_with_the_example_env() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    app, db, redis = (compose["services"][name] for name in ("app", "db", "redis"))

    assert app["env_file"] == ".env"
    assert app["depends_on"] == {
        "db": {"condition": "service_healthy"}, "redis": {"condition": "service_healthy"}
    }  # fmt: skip
    assert db["image"].startswith("postgres:15") and "healthcheck" in db
    assert redis["image"].startswith("redis:7") and "healthcheck" in redis
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    # Every ${VAR} compose fills in has a value in the example, and with the example
    # values the app's settings are valid.
    used = set(re.findall(r"\$\{(\w+)\}", (ROOT / "compose.yaml").read_text()))
    assert used <= set(example)
    environment = {
        name: re.sub(r"\$\{(\w+)\}", lambda match: example[match.group(1)], value)
        for name, value in {**example, **app["environment"]}.items()
    }
    settings = Settings.from_env(environment)
    assert settings.database_url and settings.database_url.startswith("postgresql://")
    assert settings.redis_url and settings.redis_url.startswith("redis://")
    assert {name for name in example if name.startswith(PREFIX)} <= VARIABLES
    # Trusting X-Forwarded-For is safe only if the proxy on the host is the way in.
    if settings.trusted_proxies:
        assert all(port.startswith("127.0.0.1:") for port in app["ports"])


def test_log_lines_cannot_be_forged_through_paths_or_names(
    app: Any, client: Any, post_comment: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A request path or a moderator's name cannot start a made-up line in the log."""
    from commentsvc.moderation import history

    comment = post_comment().json["id"]

    with caplog.at_level(logging.INFO):
        client.get("/healthz%0d%0a2026-12-01 INFO forged%1b[2J")
        with app.extensions["commentsvc"].database.sessions() as session:
            history.record(
                session, "approve", "eve\n2026-12-01 INFO approve by alice", comment_id=comment
            )

    lines = [record.getMessage() for record in caplog.records]
    assert all("\n" not in line and "\r" not in line and "\x1b" not in line for line in lines)
    assert any("/healthz\\r\\n2026-12-01 INFO forged\\x1b[2J 404" in line for line in lines), lines
    assert any("by eve\\n2026-12-01 INFO approve by alice" in line for line in lines), lines


def test_a_database_error_in_the_log_holds_no_email_or_ip(
    app: Any, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import text

    engine = app.extensions["commentsvc"].database.engine
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE comments RENAME COLUMN remote_addr TO gone"))
    try:
        with caplog.at_level(logging.ERROR):
            answer = client.post(
                "/api/v1/comments",
                json=comment_payload(email="private.person@example.org"),
                environ_base={"REMOTE_ADDR": "203.0.113.77"},
            )
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE comments RENAME COLUMN gone TO remote_addr"))

    assert answer.status_code == 500
    logged = caplog.text
    assert "Traceback" in logged and "remote_addr" in logged  # the error is there, in full
    assert "private.person@example.org" not in logged
    assert "203.0.113.77" not in logged


def test_the_banner_never_shows_a_password() -> None:
    from commentsvc.runtime.server import _banner

    banner = _banner(
        Settings(
            database_url="postgresql://app:db-secret@db.internal/comments",
            redis_url="redis://:redis-secret@cache.internal:6379/0",
        ),
        "127.0.0.1",
        8080,
        None,
    )

    assert "db-secret" not in banner and "redis-secret" not in banner
    assert "postgresql://app:***@db.internal/comments" in banner
    assert "redis://:***@cache.internal:6379/0" in banner


class Impostor:
    """Something on a port that answers every Redis command with success."""

    def __init__(self) -> None:
        import socket
        import threading

        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        info = b"# Server\r\nprocess_id:1\r\n"
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                asked = connection.recv(4096)
                if asked.startswith(b"PING"):
                    connection.sendall(b"+PONG\r\n")
                else:  # AUTH, PING, INFO
                    connection.sendall(b"+OK\r\n+PONG\r\n$%d\r\n%s\r\n" % (len(info), info))


def test_the_embedded_redis_refuses_a_server_it_did_not_start(tmp_path: Path) -> None:
    from commentsvc.runtime.embedded_redis import EmbeddedRedis

    impostor = Impostor()
    embedded = EmbeddedRedis(tmp_path / "redis", port=impostor.port)
    try:
        with pytest.raises(RuntimeError, match="stopped at start"):
            embedded.start(timeout=10)
    finally:
        embedded.stop()
        impostor.server.close()
    assert not (tmp_path / "redis" / "url").exists()
