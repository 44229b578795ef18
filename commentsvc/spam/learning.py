"""Learning from moderators: every approve/spam decision is an example, and the
learner folds the new examples into the shared model.

A decision writes its example to the database in the decision's own transaction
(``record_decision``), so a decision never depends on Redis and no example is lost
when Redis is down: the examples table is the model's memory. The learner
(``SpamLearner``: a background job, or ``commentsvc spam learn``) takes the
examples it has not applied yet, takes scikit-learn's ``partial_fit`` steps on them
(``sgd.OnlineModel``, in pure Python) and publishes the new weights to Redis at once.
If Redis lost the model, the learner starts again from the shipped weights and
replays every example.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from datetime import datetime

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import JSON, Boolean, Integer, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from commentsvc.comments.models import Comment, CommentStatus
from commentsvc.spam.features import CommentText, value_of, vector
from commentsvc.spam.model import (
    EXAMPLES,
    MODEL_KEY,
    UPDATES,
    published_weights,
    shipped_model,
    write_model,
)
from commentsvc.spam.sgd import OnlineModel, Row
from commentsvc.store.database import Base, UTCDateTime, utcnow

log = logging.getLogger(__name__)

LOCK_KEY = "commentsvc:spam:learner"
# Online steps: a fixed rate, so that one decision moves the score of comments like
# it (the shipped model's own schedule has slowed to a crawl by the end of training).
# The same figures as scikit-learn's SGDClassifier(alpha=ALPHA, eta0=LEARNING_RATE).
ALPHA = 1e-5
LEARNING_RATE = 1.0
PASSES = 3
BATCH = 500
LABEL_OF_STATUS = {CommentStatus.SPAM: True, CommentStatus.APPROVED: False}


class SpamExample(Base):
    """One labelled comment, as the model sees it (hashed features, no text)."""

    __tablename__ = "spam_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The comment it came from, for the record; examples outlive deleted comments.
    comment_id: Mapped[int | None] = mapped_column(Integer)
    spam: Mapped[bool] = mapped_column(Boolean)
    buckets: Mapped[list[int]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def signals_of(reasons: Iterable[str]) -> tuple[str, ...]:
    """The pipeline's reasons as the model's behaviour features: their kinds."""
    return tuple(sorted({reason.split(":", 1)[0] for reason in reasons}))


def comment_text(comment: Comment) -> CommentText:
    return CommentText(
        html=comment.html,
        name=comment.author_name,
        website=comment.author_website,
        signals=signals_of(comment.spam_reasons or ()),
    )


def record_decision(
    session: Session, comment: Comment, status: CommentStatus, previous: CommentStatus
) -> None:
    """Keep a moderator's decision as an example, in the caller's transaction, before
    it is committed (``previous``: the status it had). Approve and spam teach the
    model; reject (off-topic, rude) says nothing about spam, and deciding the same way
    twice teaches nothing new."""
    if status in LABEL_OF_STATUS and previous != status:
        learn_from(session, comment, spam=LABEL_OF_STATUS[status])


def learn_from(session: Session, comment: Comment, *, spam: bool) -> None:
    """Add an example of this comment (for importers: comments marked spam or
    approved elsewhere). Joins the caller's transaction."""
    session.add(SpamExample(comment_id=comment.id, spam=spam, buckets=vector(comment_text(comment)),
                            created_at=utcnow()))  # fmt: skip


def learn_from_import(session: Session, labels: dict[int, bool]) -> int:
    """Examples of imported comments (comment id -> spam or not), in the import's own
    transaction: a site's history is the best training set there is. The learner
    applies them like moderators' decisions. Returns how many."""
    ids = list(labels)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for comment in session.scalars(select(Comment).where(Comment.id.in_(chunk))):
            learn_from(session, comment, spam=labels[comment.id])
    return len(ids)


def publish(redis: Redis, model: OnlineModel, examples_applied: int) -> int:
    """Replace the model in Redis at once. Returns how many weights it holds."""
    write_model(redis, enumerate(model.weights), model.intercept, model.updates,
                examples_applied)  # fmt: skip
    return sum(1 for weight in model.weights if weight)


class SpamLearner:
    """The background job: applies new examples and publishes the weights."""

    name = "spam learner"

    def __init__(
        self,
        sessions: sessionmaker[Session],
        redis: Redis,
        interval_seconds: float = 2.0,
    ) -> None:
        self.sessions = sessions
        self.redis = redis
        self.interval_seconds = interval_seconds

    def run_once(self) -> int:
        """Learn from the examples not yet in the model; returns how many. One learner
        at a time across every instance (a lock in Redis); 0 while Redis is down."""
        try:
            lock = self.redis.lock(LOCK_KEY, timeout=300, blocking_timeout=0)
            if not lock.acquire():
                return 0
        except RedisError as exc:
            log.warning("spam learner waits for Redis: %s", exc)
            return 0
        try:
            applied_raw = self.redis.hget(MODEL_KEY, EXAMPLES)
            applied = int(applied_raw) if applied_raw is not None else None
            if not self._anything_new(applied):
                return 0
            return self._learn(applied)
        except (RedisError, SQLAlchemyError) as exc:
            log.warning("spam learner will try again: %s", exc)
            return 0
        finally:
            with contextlib.suppress(RedisError):  # else it expires on its own
                lock.release()

    def _anything_new(self, applied: int | None) -> bool:
        """Examples past the model's last one, or no model in Redis at all."""
        if applied is None:
            return True
        with self.sessions() as session:
            newest = session.scalar(select(func.max(SpamExample.id))) or 0
        return newest > applied

    def _learn(self, applied: int | None) -> int:
        with self.sessions() as session:
            model = self._current(applied is not None)
            start = applied or 0
            learned = 0
            while True:
                # Columns, not ORM objects: the examples are read once and dropped.
                batch = session.execute(
                    select(SpamExample.id, SpamExample.buckets, SpamExample.spam)
                    .where(SpamExample.id > start).order_by(SpamExample.id).limit(BATCH)
                ).all()  # fmt: skip
                if not batch:
                    break
                rows = [Row(buckets, value_of(buckets), spam) for _id, buckets, spam in batch]
                # Seeded by the batch: the same examples always give the same model.
                model.learn(rows, passes=PASSES, alpha=ALPHA, rate=LEARNING_RATE, seed=start)
                learned += len(batch)
                start = batch[-1].id
        weights = publish(self.redis, model, start)
        log.info("spam model learned from %d examples (%d weights published)", learned, weights)
        return learned

    def _current(self, in_redis: bool) -> OnlineModel:
        found = published_weights(self.redis) if in_redis else None
        if found is None:
            if in_redis:
                log.warning("spam model in Redis unreadable, rebuilt from the shipped model")
            shipped = shipped_model()
            return OnlineModel(shipped.dense(), shipped.intercept, shipped.updates)
        weights, intercept = found
        updates = float(self.redis.hget(MODEL_KEY, UPDATES) or 1.0)
        return OnlineModel(weights, intercept, updates)
