"""The Redis Stream queue: claims never overlap, leases run out, decisions acknowledge."""

from __future__ import annotations

import threading
import time
from typing import Any

from commentsvc.moderation.queue import ModerationQueue
from tests.conftest import bearer


def test_two_moderators_reading_at_once_never_get_the_same_comment(
    app: Any, post_comment: Any, make_moderator: Any
) -> None:
    ids = {post_comment(body=f"comment {n}").json["id"] for n in range(30)}
    moderators = [bearer(make_moderator(name)) for name in ("bob", "carol", "dave")]
    results: dict[int, list[list[int]]] = {n: [] for n in range(len(moderators))}
    start = threading.Barrier(len(moderators))

    def read(index: int) -> None:
        client = app.test_client()
        start.wait()
        for _ in range(4):
            answer = client.get("/api/v1/moderation/queue?limit=3", headers=moderators[index])
            claimed = [c["id"] for c in answer.json["comments"]]
            results[index].append(claimed)
            for comment_id in claimed:  # decide, so the next read claims new ones
                client.post(
                    f"/api/v1/moderation/comments/{comment_id}",
                    json={"action": "approve"},
                    headers=moderators[index],
                )

    threads = [threading.Thread(target=read, args=(n,)) for n in range(len(moderators))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    seen = [cid for reads in results.values() for claimed in reads for cid in claimed]
    assert len(seen) == len(set(seen)) == 30
    assert set(seen) == ids


def test_an_undecided_claim_goes_to_another_moderator_after_the_lease(
    make_app: Any, make_moderator: Any
) -> None:
    app = make_app(moderation_lease_seconds=0.5)
    client = app.test_client()
    bob, carol = bearer(make_moderator("bob")), bearer(make_moderator("carol"))
    from tests.conftest import comment_payload

    comment_id = client.post("/api/v1/comments", json=comment_payload()).json["id"]

    assert [
        c["id"] for c in client.get("/api/v1/moderation/queue", headers=bob).json["comments"]
    ] == [comment_id]
    assert client.get("/api/v1/moderation/queue", headers=carol).json["comments"] == []
    time.sleep(0.7)
    handed_over = client.get("/api/v1/moderation/queue", headers=carol).json["comments"]

    assert [c["id"] for c in handed_over] == [comment_id]
    assert client.get("/api/v1/moderation/queue", headers=bob).json["comments"] == []


def test_pushing_the_same_comment_twice_queues_it_once(redis_server: Any, redis_url: str) -> None:
    queue = ModerationQueue(redis_server.client(), lease_seconds=60)

    first, second = queue.push(7), queue.push(7)

    assert first == second
    assert queue.length() == 1
    assert queue.missing([7, 8]) == [8]
    assert queue.remove(7) is True
    assert queue.length() == 0 and queue.missing([7]) == [7]
