"""The learned spam score, as the web worker computes it: pure Python, one round trip.

The model is logistic regression over the hashed features of ``features``. Its
weights live in one Redis hash (bucket -> weight, plus the intercept), so every
worker and every instance scores with the same, newest weights: the learner
(``learning.SpamLearner``, a background job) replaces the whole hash at
once (RENAME) after each round of learning. Posting reads only the comment's own
buckets (HMGET), in the same script that counts the author's posts for the flood
rule: one round trip for the whole spam check.

The model starts from weights shipped with the package, trained on public labelled
data (see ``weights/README.md``): start-up (``seed``) puts them in Redis when it has
no model. When Redis has none (it lost its data) or does not answer, posts are
scored with the shipped weights, read once per worker on first need (two compact
arrays), until the learner rebuilds the learned model from every example.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import math
import sys
import uuid
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from redis import Redis
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from commentsvc.comments.ratelimit import COUNT_RATES, RateCounters
from commentsvc.config import Rate
from commentsvc.spam.features import BUCKETS, bucket, value_of

log = logging.getLogger(__name__)

MODEL_KEY = "commentsvc:spam:model"
INTERCEPT = "intercept"
UPDATES = "updates"  # scikit-learn's step counter, where learning goes on from
EXAMPLES = "examples"  # the id of the last learning example the model includes
FLOOD_PREFIX = "commentsvc:spam:flood:"
SHIPPED_FILE = "initial.bin.gz"
# Weights per round trip when the whole model is read or written.
MODEL_SLICE = 1_000
FLOOD_BUCKET = bucket("signal:flood")

# The post's one round trip: its rate limits first (``COUNT_RATES``: their KEYS and
# ARGV go first), and, if it is allowed, then: KEYS the address's and the email's
# flood counters and the model hash; ARGV the flood window in seconds, the
# intercept's field, the flood signal's bucket, and the comment's buckets as one
# comma-separated string. Answers {wait} for a post over a rate, else {0, both flood
# counts (this post included), the intercept, the flood signal's weight, the sum of
# the buckets' weights} (the sum as a string: Redis would truncate a Lua number to
# an integer). Summing here keeps the answer a few dozen bytes, not hundreds of values.
_CHECK = (
    COUNT_RATES
    + """
if wait > 0 then return {wait} end
local k, a = rates, 1 + 2 * rates
local counts = {}
for i = 1, 2 do
  counts[i] = redis.call('INCR', KEYS[k + i])
  if counts[i] == 1 then redis.call('EXPIRE', KEYS[k + i], ARGV[a + 1]) end
end
local fields = {ARGV[a + 2], ARGV[a + 3]}
for bucket in string.gmatch(ARGV[a + 4], '%d+') do fields[#fields + 1] = bucket end
local values = redis.call('HMGET', KEYS[k + 3], unpack(fields))
local total = 0
for i = 3, #values do
  if values[i] then total = total + tonumber(values[i]) end
end
return {0, counts[1], counts[2], values[1], values[2], string.format('%.17g', total)}
"""
)


class Weights(Protocol):
    """Weights by bucket (0 for a bucket the model has no weight for)."""

    def __getitem__(self, bucket: int, /) -> float: ...


def no_weights() -> array[float]:
    """A weight of 0 for every bucket: one 2 MB block."""
    return array("d", [0.0]) * BUCKETS


@dataclass(frozen=True)
class ShippedModel:
    """The shipped weights as two compact arrays (sorted buckets, their weights):
    a few hundred kilobytes, no Python object per weight."""

    intercept: float
    updates: float  # scikit-learn's step counter: where online learning goes on from
    about: dict[str, Any]
    buckets: array[int]
    weights: array[float]

    def __getitem__(self, bucket: int, /) -> float:
        index = bisect_left(self.buckets, bucket)
        if index < len(self.buckets) and self.buckets[index] == bucket:
            return self.weights[index]
        return 0.0

    def dense(self) -> array[float]:
        """Every bucket's weight, indexed by bucket."""
        weights = no_weights()
        for bucket_index, weight in zip(self.buckets, self.weights, strict=True):
            weights[bucket_index] = weight
        return weights


def write_shipped_model(path: Path, weights: dict[int, float], intercept: float,
                        updates: float, about: dict[str, Any]) -> None:  # fmt: skip
    """The file format: a JSON header line, then the buckets (int32) and the weights
    (float64), little-endian, all gzipped."""
    buckets = array("i", sorted(weights))
    values = array("d", (weights[bucket] for bucket in buckets))
    if sys.byteorder != "little":
        buckets.byteswap()
        values.byteswap()
    header = {"intercept": intercept, "updates": updates, "count": len(buckets), "about": about}
    raw = json.dumps(header).encode() + b"\n" + buckets.tobytes() + values.tobytes()
    path.write_bytes(gzip.compress(raw, mtime=0))


@cache
def shipped_model() -> ShippedModel:
    """Read on first need only: a web worker reads it only while Redis has no model."""
    raw = resources.files("commentsvc.spam.weights").joinpath(SHIPPED_FILE).read_bytes()
    header_line, _, data = gzip.decompress(raw).partition(b"\n")
    header = json.loads(header_line)
    buckets, weights = array("i"), array("d")
    split = header["count"] * buckets.itemsize
    buckets.frombytes(data[:split])
    weights.frombytes(data[split:])
    if sys.byteorder != "little":
        buckets.byteswap()
        weights.byteswap()
    return ShippedModel(float(header["intercept"]), float(header["updates"]), header["about"],
                        buckets, weights)  # fmt: skip


def probability(logit: float) -> float:
    if logit < -35:
        return 0.0
    return 1.0 / (1.0 + math.exp(-logit))


def score_with(weights: Weights, intercept: float, buckets: list[int]) -> float:
    value = value_of(buckets)
    return probability(intercept + value * sum(weights[b] for b in buckets))


@dataclass(frozen=True)
class Check:
    """What one round trip told about a new comment."""

    score: float
    posts_from_address: int  # in the flood window, this one included; 0: not counted
    posts_from_email: int


def _email_key(email: str) -> str:
    # Redis holds no reader's address in clear: a digest counts just as well.
    return FLOOD_PREFIX + "email:" + hashlib.blake2b(email.encode(), digest_size=12).hexdigest()


class SpamModel:
    def __init__(self, redis: Redis, flood_window: Rate) -> None:
        self.flood_window = flood_window
        self.redis = redis
        self._check = redis.register_script(_CHECK)

    def check(
        self, buckets: list[int], address: str | None, email: str, rates: RateCounters
    ) -> Check:
        """Count the post against its rate limits (TooManyRequests when over one) and
        for the flood rule, and score the comment, in one round trip. ``buckets`` are
        its features but the flood signal, which is added when the counts say so.
        With Redis down the post goes on unlimited, scored with the shipped model;
        a Redis that refuses writes refuses the post (see ``RateCounters.failed``)."""
        keys = [*rates.keys, f"{FLOOD_PREFIX}ip:{address or 'unknown'}", _email_key(email),
                MODEL_KEY]  # fmt: skip
        args: list[str | int] = [*rates.args, self.flood_window.seconds, INTERCEPT, FLOOD_BUCKET,
                ",".join(map(str, buckets))]  # fmt: skip
        try:
            answer = self._check(keys=keys, args=args)
        except RedisError as exc:
            rates.failed(exc)
            log.warning("spam score from the shipped model, Redis is not answering: %s", exc)
            return Check(self._shipped_score(buckets, flood=False), 0, 0)
        rates.refuse(int(answer[0]))
        _allowed, by_address, by_email, intercept, flood_weight, total = answer
        flood = max(by_address, by_email) > self.flood_window.amount
        if intercept is None:
            # No model in Redis (lost, or never put there): the shipped one, until
            # the learner puts the model back (start-up puts the shipped one there).
            return Check(self._shipped_score(buckets, flood), by_address, by_email)
        weights = float(total)
        count = len(buckets)
        if flood and FLOOD_BUCKET not in buckets:
            weights += float(flood_weight or 0.0)
            count += 1
        score = probability(float(intercept) + (weights / math.sqrt(count) if count else 0.0))
        return Check(score, by_address, by_email)

    @staticmethod
    def _score(weights: Weights, intercept: float, buckets: list[int], flood: bool
               ) -> float:  # fmt: skip
        if flood and FLOOD_BUCKET not in buckets:
            buckets = sorted([*buckets, FLOOD_BUCKET])
        return score_with(weights, intercept, buckets)

    def _shipped_score(self, buckets: list[int], flood: bool) -> float:
        shipped = shipped_model()
        return self._score(shipped, shipped.intercept, buckets, flood)


def write_model(redis: Redis, weights: Iterable[tuple[int, float]], intercept: float,
                updates: float, examples: int, *, replace: bool = True) -> bool:  # fmt: skip
    """Put a whole model in Redis at once: readers see the old or the new weights,
    never a mix. ``weights`` are (bucket, weight) pairs; ``examples`` is the last
    learning example the model includes. With ``replace=False`` a model already there
    stays. Returns whether it was written. The weights go in slices, so that no more
    than a slice of them is ever held as Python objects."""
    staging = f"{MODEL_KEY}:next:{uuid.uuid4().hex}"
    nonzero: Iterator[tuple[FieldT, EncodableT]] = (
        (str(index), repr(weight)) for index, weight in weights if weight
    )
    while chunk := dict(islice(nonzero, MODEL_SLICE)):
        pipeline = redis.pipeline(transaction=False)
        pipeline.hset(staging, mapping=chunk)
        pipeline.expire(staging, 600)  # gone even if this process dies right here
        pipeline.execute()
    pipeline = redis.pipeline(transaction=False)
    pipeline.hset(staging, mapping={INTERCEPT: repr(intercept), UPDATES: repr(updates),
                                    EXAMPLES: str(examples)})  # fmt: skip
    pipeline.expire(staging, 600)
    if replace:
        pipeline.rename(staging, MODEL_KEY)
    else:
        pipeline.renamenx(staging, MODEL_KEY)
        pipeline.delete(staging)
    answers = pipeline.execute()
    return replace or bool(answers[-2])


def seed(redis: Redis) -> bool:
    """Put the shipped model in Redis unless it has a model; whether it did."""
    shipped = shipped_model()
    return write_model(redis, zip(shipped.buckets, shipped.weights, strict=True),
                       shipped.intercept, shipped.updates, 0, replace=False)  # fmt: skip


def published_weights(redis: Redis) -> tuple[array[float], float] | None:
    """Every weight in Redis as a dense array indexed by bucket (one 2 MB block, no
    object per weight), and the intercept, or None when Redis holds no model. Read in
    slices (HSCAN), so the whole hash is never held as Python objects."""
    weights = no_weights()
    intercept: float | None = None
    for field, value in redis.hscan_iter(MODEL_KEY, count=MODEL_SLICE):
        if field.isdigit():
            weights[int(field)] = float(value)
        elif field == INTERCEPT.encode():
            intercept = float(value)
    return None if intercept is None else (weights, intercept)
