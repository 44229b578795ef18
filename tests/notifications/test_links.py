"""Links in mails: a forged, expired, reused or pre-rotation link gets a clear page
with a 4xx status and changes nothing; a GET never decides."""

from __future__ import annotations

import time
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from commentsvc.comments.models import Comment, CommentStatus
from commentsvc.moderation.services import add_moderator, remove_moderator
from commentsvc.notifications.links import LINK_MAX_AGE_SECONDS, LinkPurpose, Links
from commentsvc.notifications.models import Subscriber
from tests.conftest import comment_payload


@pytest.fixture
def comment_id(client: Any) -> int:
    return int(client.post("/api/v1/comments", json=comment_payload()).json["id"])


@pytest.fixture
def moderator_id(app: Any) -> int:
    from commentsvc.moderation.services import list_moderators

    with app.extensions["commentsvc"].database.sessions() as session:
        add_moderator(session, "alice", "mod@example.com")
        return list_moderators(session)[0].id


def status_of(app: Any, comment_id: int) -> CommentStatus:
    with app.extensions["commentsvc"].database.sessions() as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None
        return comment.status


def path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def decide_link(secret: str, comment_id: int, moderator_id: int, action: str = "approve") -> str:
    return path(Links(secret, "https://comments.example.com").url(
        LinkPurpose.DECIDE, c=comment_id, a=action, m=moderator_id))  # fmt: skip


def test_a_link_works_once(client: Any, app: Any, comment_id: int, moderator_id: int) -> None:
    link = decide_link("test", comment_id, moderator_id, "spam")
    assert client.get(link).status_code == 200
    assert client.get(link).status_code == 200  # looking twice is fine
    assert status_of(app, comment_id) == CommentStatus.PENDING

    assert client.post(link).status_code == 200
    assert status_of(app, comment_id) == CommentStatus.SPAM

    reused_page = client.get(link)
    reused = client.post(link)
    assert reused_page.status_code == 410 and reused.status_code == 410
    assert "used already" in reused.text and "Nothing was done" in reused.text
    assert status_of(app, comment_id) == CommentStatus.SPAM


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_link_changes_nothing(
    client: Any, app: Any, comment_id: int, moderator_id: int, method: str
) -> None:
    genuine = decide_link("test", comment_id, moderator_id)
    tampered = genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB")
    for link in (tampered, decide_link("another key", comment_id, moderator_id),
                 "/notifications/decide/not-a-token"):  # fmt: skip
        answer = getattr(client, method)(link)
        assert answer.status_code == 403
        assert "not valid" in answer.text and "secret key" in answer.text
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert status_of(app, comment_id) == CommentStatus.PENDING


def test_links_sent_before_the_secret_key_changed_stop_working(
    make_app: Any, comment_id: int, moderator_id: int
) -> None:
    link = decide_link("test", comment_id, moderator_id)
    rotated = make_app(secret_key="a new secret key").test_client()

    answer = rotated.post(link)
    assert answer.status_code == 403 and "secret key" in answer.text
    assert status_of(rotated.application, comment_id) == CommentStatus.PENDING


class EightDaysAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - LINK_MAX_AGE_SECONDS - 86400


def test_an_expired_link_changes_nothing(
    client: Any, app: Any, comment_id: int, moderator_id: int
) -> None:
    old = URLSafeTimedSerializer("test", salt="commentsvc.notifications", signer=EightDaysAgo)
    token = old.dumps({"p": "decide", "c": comment_id, "a": "approve", "m": moderator_id, "n": "x"})

    answer = client.post(f"/notifications/decide/{token}")
    assert answer.status_code == 410 and "expired" in answer.text
    assert status_of(app, comment_id) == CommentStatus.PENDING


def test_a_link_of_another_kind_is_refused(client: Any, app: Any) -> None:
    unsubscribe = path(Links("test", "https://x.example").url(LinkPurpose.UNSUBSCRIBE,
                                                             e="ada@example.com"))  # fmt: skip
    as_confirmation = unsubscribe.replace("/unsubscribe/", "/confirm/")

    assert client.post(as_confirmation).status_code == 403
    with app.extensions["commentsvc"].database.sessions() as session:
        assert session.get(Subscriber, "ada@example.com") is None


def test_a_removed_moderators_link_no_longer_decides(
    client: Any, app: Any, comment_id: int, moderator_id: int
) -> None:
    link = decide_link("test", comment_id, moderator_id)
    with app.extensions["commentsvc"].database.sessions() as session:
        remove_moderator(session, "alice")

    assert client.post(link).status_code == 403
    assert status_of(app, comment_id) == CommentStatus.PENDING


def test_pages_escape_what_commenters_wrote(client: Any, moderator_id: int) -> None:
    posted = client.post("/api/v1/comments", json=comment_payload(
        name="<img src=x onerror=alert(1)>", body="<script>alert(1)</script>"))  # fmt: skip
    page = client.get(decide_link("test", posted.json["id"], moderator_id))

    assert "<script>alert" not in page.text and "<img" not in page.text
    assert "&lt;script&gt;" in page.text


def test_two_clicks_at_once_on_one_link_decide_once(
    make_app: Any, serve_app: Any, comment_id: int, moderator_id: int
) -> None:
    import urllib.error
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    base = serve_app(make_app())
    link = base + decide_link("test", comment_id, moderator_id)

    def click(_: int) -> int:
        try:
            with urllib.request.urlopen(urllib.request.Request(link, method="POST"), timeout=10):
                return 200
        except urllib.error.HTTPError as exc:
            return exc.code

    with ThreadPoolExecutor(4) as pool:
        answers = sorted(pool.map(click, range(4)))
    assert answers == [200, 410, 410, 410]
