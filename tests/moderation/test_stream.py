"""The live stream over real HTTP: moderators hear of new comments and of each
other's decisions."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from commentsvc.moderation.services import add_moderator


class EventStream:
    """Reads server-sent events from a live server, as a browser would."""

    def __init__(self, base: str, token: str) -> None:
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.connection.request(
            "GET", "/api/v1/moderation/stream", headers={"Authorization": f"Bearer {token}"}
        )
        self.response = self.connection.getresponse()

    def next_event(self) -> tuple[str, dict[str, Any]]:
        """The next event (comment lines and retry skipped)."""
        event, data = "", ""
        while True:
            line = self.response.readline().decode()
            if not line:
                raise AssertionError("the stream ended before an event came")
            line = line.rstrip("\n")
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif line == "" and event:
                return event, json.loads(data)

    def preamble(self) -> list[str]:
        """The lines before the first blank one: sent as soon as the stream listens."""
        lines = []
        while (line := self.response.readline().decode().rstrip("\n")) != "":
            lines.append(line)
        return lines

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def live(app: Any, serve_app: Any) -> str:
    return str(serve_app(app))


def test_a_new_comment_and_a_decision_arrive_on_the_stream(
    live: str, app: Any, client: Any, post_comment: Any, moderator_token: str
) -> None:
    with app.extensions["commentsvc"].database.sessions() as session:
        bob = add_moderator(session, "bob")
    stream = EventStream(live, bob)
    try:
        assert stream.response.status == 200
        assert stream.response.headers["Content-Type"].startswith("text/event-stream")
        assert stream.preamble()[0] == "retry: 1000"

        comment_id = post_comment().json["id"]
        pending = stream.next_event()
        client.post(f"/api/v1/moderation/comments/{comment_id}", json={"action": "approve"},
                    headers={"Authorization": f"Bearer {moderator_token}"})  # fmt: skip
        decided = stream.next_event()
    finally:
        stream.close()

    assert pending == ("pending", {"id": comment_id})
    assert decided == ("decided", {"id": comment_id, "status": "approved", "by": "alice"})


def test_a_trusted_authors_comment_does_not_wait_so_it_is_not_announced(
    live: str, client: Any, post_comment: Any, moderator_token: str, auth: dict[str, str]
) -> None:
    client.put("/api/v1/moderation/authors/friend@example.com", json={"trust": "trusted"},
               headers=auth)  # fmt: skip
    stream = EventStream(live, moderator_token)
    try:
        stream.preamble()
        post_comment(email="friend@example.com")
        waiting = post_comment(email="other@example.com").json["id"]
        event = stream.next_event()
    finally:
        stream.close()

    assert event == ("pending", {"id": waiting})


def test_the_stream_wants_the_token(live: str) -> None:
    stream = EventStream(live, "wrong")
    try:
        assert stream.response.status == 401
        assert json.loads(stream.response.read())["error"]["code"] == 401
    finally:
        stream.close()


def test_a_stream_ends_by_itself_so_it_never_holds_a_worker_thread_for_good(
    redis_server_factory: Any,
) -> None:
    from commentsvc.moderation import live

    # A Redis of its own: other tests' streams may still be subscribed to the shared one.
    redis = redis_server_factory().client()
    chunks = list(live.server_sent_events(live.subscribe(redis), seconds=0.5))

    assert chunks[0] == b"retry: 1000\n: listening\n\n"
    # Its connection is closed too; Redis notices the closed socket a moment later.
    deadline = time.monotonic() + 5
    while int(redis.pubsub_numsub(live.CHANNEL)[0][1]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert int(redis.pubsub_numsub(live.CHANNEL)[0][1]) == 0
