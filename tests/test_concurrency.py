"""Races a busy site runs into, on SQLite and on PostgreSQL: each app below stands for
a separate worker with its own connections."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from marshmallow import ValidationError
from sqlalchemy import event, func, select

from commentsvc.comments.models import Comment, Thread
from commentsvc.comments.services import create_comment
from tests.conftest import SITE, comment_payload


def race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions in threads released at the same instant; their results in order."""
    results: list[Any] = [None] * len(actions)
    start = threading.Barrier(len(actions))

    def run(index: int) -> None:
        start.wait()
        results[index] = actions[index]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def workers(make_app: Any, count: int) -> list[Any]:
    return [make_app().test_client() for _ in range(count)]


def test_two_moderators_approving_the_same_comment_agree(
    make_app: Any, post_comment: Any, make_moderator: Any
) -> None:
    tokens = [make_moderator(name) for name in ("bob", "carol")]
    first, second = workers(make_app, 2)
    for attempt in range(5):
        comment_id = post_comment(body=f"attempt {attempt}").json["id"]

        answers = race(*(
            (lambda client=client, token=token: client.post(
                f"/api/v1/moderation/comments/{comment_id}", json={"action": "approve"},
                headers={"Authorization": f"Bearer {token}"}))
            for client, token in zip((first, second), tokens, strict=True)
        ))  # fmt: skip

        assert [a.status_code for a in answers] == [200, 200]
        assert {a.json["status"] for a in answers} == {"approved"}
        # Both see the one decision that was recorded.
        assert answers[0].json["decided_by"] == answers[1].json["decided_by"]


def test_first_posts_racing_into_a_new_article_make_one_thread(make_app: Any, app: Any) -> None:
    clients = workers(make_app, 4)
    for attempt in range(5):
        url = f"{SITE}/brand-new-{attempt}"

        answers = race(*(
            (lambda client=client, n=n: client.post(
                "/api/v1/comments", json=comment_payload(url=url, body=f"first! {n}")))
            for n, client in enumerate(clients)
        ))  # fmt: skip

        assert [a.status_code for a in answers] == [202] * 4
        with app.extensions["commentsvc"].database.sessions() as session:
            threads = session.scalar(
                select(func.count()).select_from(Thread).where(Thread.url == url)
            )
            comments = session.scalar(
                select(func.count()).select_from(Comment).join(Thread).where(Thread.url == url)
            )
        assert (threads, comments) == (1, 4)


def test_a_reply_racing_its_parents_rejection_never_hangs_under_a_hidden_parent(
    make_app: Any, post_comment: Any, approve: Any, auth: dict[str, str]
) -> None:
    replier, moderator = workers(make_app, 2)
    for attempt in range(5):
        url = f"{SITE}/race-{attempt}"
        parent = post_comment(url=url, body="parent").json["id"]
        approve(parent)

        reply, rejection = race(
            lambda: replier.post(
                "/api/v1/comments", json=comment_payload(url=url, body="reply", parent_id=parent)
            ),
            lambda: moderator.post(
                f"/api/v1/moderation/comments/{parent}", json={"action": "reject"}, headers=auth
            ),
        )

        assert rejection.status_code == 200
        assert reply.status_code in (202, 422)
        if reply.status_code == 202:
            approve(reply.json["id"])
        thread = replier.get("/api/v1/comments", query_string={"url": url}).json
        shown = {comment["id"] for comment in thread["comments"]}
        assert parent not in shown
        assert all(c["parent_id"] is None or c["parent_id"] in shown for c in thread["comments"])


@pytest.mark.parametrize("decision", ["delete", "reject"])
def test_a_reply_checked_just_before_its_parent_goes_is_refused_or_kept_at_the_top(
    app: Any, client: Any, post_comment: Any, approve: Any, auth: dict[str, str], decision: str
) -> None:
    """The exact interleaving the race above only sometimes hits: the comment service
    has checked the reply's parent, then a moderator deletes or rejects the parent,
    then the reply is saved. SQLite (no row locks) refuses the reply; PostgreSQL makes
    the moderator wait for the reply, which is kept and moves to the top level. Either
    way no reply points at a comment that is not shown, nor at itself (SQLite reuses a
    freed highest id)."""
    dependencies = app.extensions["commentsvc"]
    url = f"{SITE}/deleted-under-a-reply"
    parent = post_comment(url=url, body="parent").json["id"]
    approve(parent)
    replying = dependencies.database.sessions()
    sqlite = replying.get_bind().dialect.name == "sqlite"
    replier = threading.get_ident()

    def moderate() -> Any:
        if decision == "delete":
            return client.delete(f"/api/v1/moderation/comments/{parent}", headers=auth)
        return client.post(
            f"/api/v1/moderation/comments/{parent}", json={"action": "reject"}, headers=auth
        )

    with ThreadPoolExecutor(1) as pool:
        moderated: list[Any] = []

        def between_the_check_and_the_save(_conn: Any, _cursor: Any, statement: str,
                                           *_args: Any) -> None:  # fmt: skip
            if moderated or threading.get_ident() != replier:
                return
            if statement.lstrip().upper().startswith("INSERT INTO COMMENTS"):
                moderated.append(pool.submit(moderate))
                if sqlite:
                    moderated[0].result(timeout=10)  # lands before the reply's INSERT

        engine = dependencies.database.engine
        event.listen(engine, "before_cursor_execute", between_the_check_and_the_save)
        data = {"url": url, "name": "R", "email": "r@example.com", "body": "reply",
                "parent_id": parent}  # fmt: skip
        try:
            reply = create_comment(
                replying, dependencies.queue, dependencies.cache, dependencies.spam, data, None
            ).id
        except ValidationError as refused:
            assert "parent_id" in refused.messages
            reply = None
        finally:
            event.remove(engine, "before_cursor_execute", between_the_check_and_the_save)
            replying.close()
        assert moderated, "the reply was never saved"
        assert moderated[0].result(timeout=10).status_code in (200, 204)

    if reply is not None:
        approve(reply)
    shown = client.get("/api/v1/comments", query_string={"url": url}).json["comments"]
    assert [(c["id"], c["parent_id"]) for c in shown] == ([(reply, None)] if reply else [])
    with dependencies.database.sessions() as session:
        assert session.scalar(select(func.count()).where(Comment.parent_id == Comment.id)) == 0
