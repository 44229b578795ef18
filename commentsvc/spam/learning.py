"""Learning from moderators: every approve/spam decision is an example, and the
learner folds the new examples into the shared model.

A decision writes its example to the database in the decision's own transaction
(``record_decision``), so a decision never depends on Redis and no example is lost
when Redis is down: the examples table is the model's memory. The learner
(``SpamLearner``: a job of the background worker, or ``commentsvc spam learn``)
takes the examples it has not applied yet, runs scikit-learn's ``partial_fit`` on
them and publishes the new weights to Redis at once. If Redis lost the model, the
learner starts again from the shipped weights and replays every example.

scikit-learn and NumPy are imported inside the learner only: web workers never load
them (they cost about 100 MB per process). In the background worker the learning
itself runs in a short-lived child process (``separate_process``), so they are in
memory only while there is something to learn, not for the worker's whole life.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import JSON, Boolean, Integer, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from commentsvc.comments.models import Comment, CommentStatus
from commentsvc.spam.features import BUCKETS, CommentText, vector
from commentsvc.spam.model import (
    EXAMPLES,
    MODEL_KEY,
    UPDATES,
    published_weights,
    shipped_model,
    write_model,
)
from commentsvc.store.database import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from sklearn.linear_model import SGDClassifier

log = logging.getLogger(__name__)

LOCK_KEY = "commentsvc:spam:learner"
# Online steps: a fixed rate, so that one decision moves the score of comments like
# it (the shipped model's own schedule has slowed to a crawl by the end of training).
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


def _matrix(examples: list[SpamExample]) -> tuple[Any, Any]:
    import numpy as np
    from scipy.sparse import csr_matrix

    from commentsvc.spam.features import value_of

    indices: list[int] = []
    values: list[float] = []
    offsets = [0]
    for example in examples:
        indices += example.buckets
        values += [value_of(example.buckets)] * len(example.buckets)
        offsets.append(len(indices))
    matrix = csr_matrix((np.array(values), np.array(indices), np.array(offsets)),
                        shape=(len(examples), BUCKETS))  # fmt: skip
    return matrix, np.array([int(example.spam) for example in examples])


def _classifier(weights: dict[int, float], intercept: float, updates: float) -> SGDClassifier:
    """An SGDClassifier that goes on from these weights."""
    import numpy as np
    from sklearn.linear_model import SGDClassifier

    classifier = SGDClassifier(
        loss="log_loss", alpha=ALPHA, learning_rate="constant", eta0=LEARNING_RATE
    )
    coef = np.zeros((1, BUCKETS))
    for index, weight in weights.items():
        coef[0, index] = weight
    classifier.coef_ = coef
    classifier.intercept_ = np.array([intercept])
    classifier.classes_ = np.array([0, 1])
    classifier.t_ = updates
    classifier.n_features_in_ = BUCKETS
    return classifier


def publish(redis: Redis, classifier: SGDClassifier, examples_applied: int) -> int:
    """Replace the model in Redis at once. Returns how many weights it holds."""
    import numpy as np

    coef = classifier.coef_[0]
    weights = {int(index): float(coef[index]) for index in np.flatnonzero(coef)}
    write_model(redis, weights, float(classifier.intercept_[0]), float(classifier.t_),
                examples_applied)  # fmt: skip
    return len(weights)


class SpamLearner:
    """The background job: applies new examples and publishes the weights."""

    name = "spam learner"

    def __init__(
        self,
        sessions: sessionmaker[Session],
        redis: Redis,
        interval_seconds: float = 2.0,
        *,
        separate_process: bool = False,
    ) -> None:
        self.sessions = sessions
        self.redis = redis
        self.interval_seconds = interval_seconds
        self.separate_process = separate_process

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
            return self._learn_in_child(applied) if self.separate_process else self._learn(applied)
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

    def _learn_in_child(self, applied: int | None) -> int:
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)
        child = context.Process(target=self._learn_and_send, args=(sending, applied),
                                name="commentsvc spam learner")  # fmt: skip
        child.start()
        sending.close()
        try:
            learned: int = receiving.recv()
        except EOFError:
            log.warning("spam learner ended without an answer (exit code %s); tried again soon",
                        child.exitcode)  # fmt: skip
            return 0
        finally:
            child.join()
            receiving.close()
        return learned

    def _learn_and_send(self, sending: Any, applied: int | None) -> None:
        """In the child: connections of its own (the parent's stay the parent's), and
        a lower priority than the web workers that share the machine."""
        with contextlib.suppress(OSError):
            os.nice(10)
        self.sessions.kw["bind"].dispose(close=False)
        self.redis.connection_pool.reset()
        try:
            sending.send(self._learn(applied))
        except (RedisError, SQLAlchemyError) as exc:
            log.warning("spam learner will try again: %s", exc)
            sending.send(0)

    def _learn(self, applied: int | None) -> int:
        with self.sessions() as session:
            classifier = self._current(applied is not None)
            start = applied or 0
            learned = 0
            while True:
                examples = list(session.scalars(
                    select(SpamExample).where(SpamExample.id > start)
                    .order_by(SpamExample.id).limit(BATCH)
                ))  # fmt: skip
                if not examples:
                    break
                features, labels = _matrix(examples)
                for _pass in range(PASSES):
                    classifier.partial_fit(features, labels)
                learned += len(examples)
                start = examples[-1].id
        weights = publish(self.redis, classifier, start)
        log.info("spam model learned from %d examples (%d weights published)", learned, weights)
        return learned

    def _current(self, in_redis: bool) -> SGDClassifier:
        found = published_weights(self.redis) if in_redis else None
        if found is None:
            if in_redis:
                log.warning("spam model in Redis unreadable, rebuilt from the shipped model")
            shipped = shipped_model()
            return _classifier(shipped.as_dict(), shipped.intercept, shipped.updates)
        weights, intercept = found
        updates = float(self.redis.hget(MODEL_KEY, UPDATES) or 1.0)
        return _classifier(weights, intercept, updates)
