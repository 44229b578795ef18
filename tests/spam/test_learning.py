"""The learned score: automatic spam at the threshold, learning from decisions,
shared by every worker, and kept through Redis outages."""

from __future__ import annotations

from typing import Any

from redis import Redis
from sqlalchemy import select

from commentsvc.comments.models import Comment
from commentsvc.moderation.history import history_of
from commentsvc.spam.features import vector
from commentsvc.spam.learning import SpamExample, SpamLearner, comment_text, learn_from
from commentsvc.spam.model import MODEL_KEY, score_with, seed, shipped_model
from tests.conftest import comment_payload

SPAM = "Check out my channel and subscribe http://www.mychannel.example free gift cards"
GNOMES = "Great deals on garden gnomes at the gnomeshop, order your gnome today"
LIKE_GNOMES = "Order a garden gnome from the gnomeshop today"


def _learner(app: Any) -> SpamLearner:
    dependencies = app.extensions["commentsvc"]
    return SpamLearner(dependencies.database.sessions, dependencies.redis)


def _post(app: Any, **changes: Any) -> int:
    answer = app.test_client().post("/api/v1/comments", json=comment_payload(**changes))
    assert answer.status_code == 202, answer.json
    return int(answer.json["id"])


def _comment(app: Any, comment_id: int) -> Comment:
    with app.extensions["commentsvc"].database.sessions() as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None
        session.expunge(comment)
        return comment


def test_a_score_at_the_threshold_makes_spam_without_a_moderator(
    make_app: Any, auth: dict[str, str]
) -> None:
    app = make_app()  # COMMENTSVC_SPAM_THRESHOLD's default, 0.9
    client = app.test_client()
    spam_id = _post(app, body=SPAM, email="bot@example.com")
    fine_id = _post(app, body="Thanks, this explained the proof well.")

    spam, fine = _comment(app, spam_id), _comment(app, fine_id)
    assert spam.status == "spam" and spam.spam_score >= 0.9
    assert fine.status == "pending" and fine.spam_score < 0.9
    queue = client.get("/api/v1/moderation/queue", headers=auth).json["comments"]
    assert [(c["id"], c["spam_score"]) for c in queue] == [(fine_id, fine.spam_score)]
    with app.extensions["commentsvc"].database.sessions() as session:
        events = history_of(session, spam_id, spam.created_at, spam.author_name)
        assert session.get(Comment, spam_id) is not None  # never deleted
    assert [(event.action, event.by) for event in events][1:] == [("spam", "rule: spam score")]


def test_the_queue_shows_likely_spam_last(make_app: Any, auth: dict[str, str]) -> None:
    app = make_app(spam_threshold=1.0)
    spammy = _post(app, body=SPAM, email="bot@example.com")
    fine = _post(app, body="Thanks, this explained the proof well.")

    queue = app.test_client().get("/api/v1/moderation/queue", headers=auth).json["comments"]

    assert [c["id"] for c in queue] == [fine, spammy]
    assert queue[0]["spam_score"] < queue[1]["spam_score"]


def test_a_spam_decision_raises_the_score_of_a_similar_comment_on_every_worker(
    make_app: Any, auth: dict[str, str]
) -> None:
    one, other = make_app(spam_threshold=1.0), make_app(spam_threshold=1.0)
    learner = _learner(one)
    assert learner.run_once() == 0  # publishes the shipped model: both score from Redis
    before = _comment(other, _post(other, body=LIKE_GNOMES, email="first@example.com")).spam_score

    decided = _post(one, body=GNOMES, email="bot@example.com")
    answer = one.test_client().post(
        f"/api/v1/moderation/comments/{decided}", json={"action": "spam"}, headers=auth
    )
    assert answer.status_code == 200
    assert learner.run_once() == 1
    assert learner.run_once() == 0  # nothing new
    after = _comment(other, _post(other, body=LIKE_GNOMES, email="second@example.com")).spam_score

    assert after > 2 * before


def test_an_approval_lowers_it_and_a_repeated_decision_teaches_nothing(
    make_app: Any, auth: dict[str, str]
) -> None:
    app = make_app(spam_threshold=1.0)
    client = app.test_client()
    _learner(app).run_once()
    text = "Great deals on garden gnomes at the gnomeshop, order your gnome today"
    before = _comment(app, _post(app, body=text, email="a@example.com")).spam_score

    decided = _post(app, body=text + " please", email="gnomes@example.com")
    for _twice in range(2):
        client.post(f"/api/v1/moderation/comments/{decided}", json={"action": "approve"},
                    headers=auth)  # fmt: skip
    assert _learner(app).run_once() == 1
    after = _comment(app, _post(app, body=text, email="b@example.com")).spam_score

    assert after < before - 0.05


def test_without_a_model_in_redis_posts_are_scored_with_the_shipped_one(app: Any) -> None:
    comment = _comment(app, _post(app, body=LIKE_GNOMES))
    shipped = shipped_model()

    expected = score_with(shipped, shipped.intercept, vector(comment_text(comment)))

    assert comment.spam_score == expected


def test_start_up_puts_the_shipped_model_in_redis_but_never_over_a_model(
    app: Any, redis_url: str
) -> None:
    redis = Redis.from_url(redis_url)
    assert seed(redis) is True
    assert redis.hget(MODEL_KEY, "examples") == b"0"
    comment = _comment(app, _post(app, body=GNOMES))
    with app.extensions["commentsvc"].database.sessions() as session:
        learn_from(session, comment, spam=True)
        session.commit()
    _learner(app).run_once()

    assert seed(redis) is False
    assert redis.hget(MODEL_KEY, "examples") == b"1"


def test_decisions_while_redis_is_down_are_learned_when_it_is_back(
    make_app: Any, redis_server_factory: Any, auth: dict[str, str]
) -> None:
    redis = redis_server_factory()
    app = make_app(redis_url=redis.url, spam_threshold=1.0)
    client = app.test_client()
    decided = _post(app, body=SPAM)
    redis.stop()

    answer = client.post(f"/api/v1/moderation/comments/{decided}", json={"action": "spam"},
                         headers=auth)  # fmt: skip

    assert answer.status_code == 200 and answer.json["status"] == "spam"
    assert _learner(app).run_once() == 0  # waits for Redis
    redis.start()
    assert _learner(app).run_once() == 1
    assert Redis.from_url(redis.url).hget(MODEL_KEY, "examples") == b"1"


def test_a_redis_that_lost_the_model_gets_it_back_with_every_decision(
    app: Any, redis_url: str
) -> None:
    comment = _comment(app, _post(app, body=SPAM))
    with app.extensions["commentsvc"].database.sessions() as session:
        learn_from(session, comment, spam=True)  # as the importers do
        session.commit()
    assert _learner(app).run_once() == 1
    learned = Redis.from_url(redis_url).hgetall(MODEL_KEY)

    Redis.from_url(redis_url).flushall()
    assert _learner(app).run_once() == 1

    assert Redis.from_url(redis_url).hgetall(MODEL_KEY) == learned
    with app.extensions["commentsvc"].database.sessions() as session:
        assert session.scalars(select(SpamExample.spam)).all() == [True]
