"""Fixtures: a real Redis server on a free port, a fresh database per test, the app.

Redis: one server for the session, emptied before each test; tests that stop it
take their own (``redis_server_factory``). Database: SQLite by default, a copy of a
migrated template per test; PostgreSQL when COMMENTSVC_TEST_DATABASE_URL is set
(emptied before each test).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from werkzeug.serving import make_server

from commentsvc import create_app
from commentsvc.config import Rate, Settings
from commentsvc.models import Base
from commentsvc.runtime.embedded_redis import free_port, server_binary
from commentsvc.store import database as db
from commentsvc.store import migrate

SITE = "https://blog.example.com"
ARTICLE = f"{SITE}/2026/hello-world"


class RedisServer:
    """A real redis-server process without persistence: a restart comes back empty."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or server_binary()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def client(self) -> Redis:
        return Redis.from_url(self.url)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_server_factory(tmp_path: Path) -> Iterator[Callable[[], RedisServer]]:
    started: list[RedisServer] = []

    def make() -> RedisServer:
        server = RedisServer(tmp_path / f"redis-{len(started)}")
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.client().flushall()
    return redis_server.url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    if os.environ.get("COMMENTSVC_TEST_DATABASE_URL"):
        return None
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def database_url(sqlite_template: Path | None, tmp_path: Path) -> str:
    external = os.environ.get("COMMENTSVC_TEST_DATABASE_URL")
    if external:
        engine = db.make_engine(external)
        migrate.upgrade(engine)
        with engine.begin() as connection:
            tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return external
    assert sqlite_template is not None
    path = tmp_path / "commentsvc.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        redis_url=redis_url,
        sites=(SITE,),
        post_rate_limit="1000/minute",
        flood_limit=Rate(1000, 60),
        requeue_in_background=False,
        secret_key="test",
    )


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Callable[..., Any]]:
    apps = []

    def make(**overrides: Any) -> Any:
        app = create_app(settings.with_overrides(**overrides))
        app.testing = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["commentsvc"].requeue.stop()
        app.extensions["commentsvc"].database.engine.dispose()
        app.extensions["commentsvc"].cache.close()


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def make_moderator(database_url: str) -> Iterator[Callable[[str], str]]:
    """Creates a moderator in the test's database, which every app of the test uses;
    returns its token. The one way tests make moderators."""
    from commentsvc.moderation.services import add_moderator

    engine = db.make_engine(database_url)

    def make(name: str) -> str:
        with db.Database(engine).sessions() as session:
            return add_moderator(session, name)

    yield make
    engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def moderator_token(make_moderator: Callable[[str], str]) -> str:
    return make_moderator("alice")


@pytest.fixture
def auth(moderator_token: str) -> dict[str, str]:
    return bearer(moderator_token)


def comment_payload(**changes: Any) -> dict[str, Any]:
    payload = {
        "url": ARTICLE,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "website": "https://ada.example.org",
        "body": "A *fine* article.",
    }
    payload.update(changes)
    return {key: value for key, value in payload.items() if value is not None}


@pytest.fixture
def post_comment(client: Any) -> Callable[..., Any]:
    def post(**changes: Any) -> Any:
        return client.post("/api/v1/comments", json=comment_payload(**changes))

    return post


@pytest.fixture
def approve(client: Any, auth: dict[str, str]) -> Callable[[int], Any]:
    def decide(comment_id: int, action: str = "approve") -> Any:
        response = client.post(
            f"/api/v1/moderation/comments/{comment_id}", json={"action": action}, headers=auth
        )
        assert response.status_code == 200, response.json
        return response

    return decide


@pytest.fixture
def serve_app() -> Iterator[Callable[[Any], str]]:
    """Serve an app over real HTTP on a free port (threaded); returns its base URL."""
    servers = []

    def serve(app: Any) -> str:
        port = free_port()
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{port}"

    yield serve
    for server in servers:
        server.shutdown()


CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright (which cannot download its own here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
