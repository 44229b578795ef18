"""Online logistic regression over hashed buckets: the steps scikit-learn's
``SGDClassifier(loss="log_loss", penalty="l2", learning_rate="constant")`` takes in
``partial_fit`` on sparse rows, written out in pure Python.

They are a few lines, and the learner then runs in the process that decides to learn,
on a plain array of the weights, without loading scikit-learn, SciPy and NumPy
(about 100 MB) for a few hundred examples. A test checks these steps against
scikit-learn's, to 1e-12.
"""

from __future__ import annotations

import math
import random
from collections.abc import MutableSequence, Sequence
from dataclasses import dataclass

# scikit-learn's intercept step on sparse rows (linear_model._base.SPARSE_INTERCEPT_DECAY):
# the intercept moves a hundred times more slowly than a weight.
SPARSE_INTERCEPT_DECAY = 0.01
# Below this the running scale of the weights is folded into them (as scikit-learn's
# WeightVector does), so that it never underflows.
SMALLEST_SCALE = 1e-9


@dataclass(frozen=True)
class Row:
    """One example: its buckets, each with the same value, and its label."""

    buckets: Sequence[int]
    value: float
    spam: bool


@dataclass
class OnlineModel:
    # Every bucket's weight, by bucket (a dense array: one block of memory, not an
    # object per weight).
    weights: MutableSequence[float]
    intercept: float
    updates: float  # steps taken so far (scikit-learn's ``t_``)

    def learn(
        self, rows: Sequence[Row], *, passes: int, alpha: float, rate: float, seed: int | None
    ) -> None:
        """``passes`` passes over ``rows``, in a fresh random order each (seeded by
        ``seed``; None keeps the given order). Each step: the gradient of the log loss
        at this row, the weights shrunk by ``rate * alpha`` (L2), then moved along the
        row's buckets."""
        order = list(rows)
        shuffle = random.Random(seed).shuffle if seed is not None else None
        weights = self.weights
        shrink = max(0.0, 1.0 - rate * alpha)
        # The weights are kept as weights * scale: shrinking them all is one multiplication.
        scale = 1.0
        for _pass in range(passes):
            if shuffle is not None:
                shuffle(order)
            for row in order:
                dot = 0.0
                for bucket in row.buckets:
                    dot += weights[bucket] * row.value
                label = 1.0 if row.spam else 0.0
                update = -rate * _log_loss_gradient(label, dot * scale + self.intercept)
                scale *= shrink
                if scale < SMALLEST_SCALE:
                    _fold(weights, scale)
                    scale = 1.0
                if update != 0.0:
                    step = row.value * (update / scale)
                    for bucket in row.buckets:
                        weights[bucket] += step
                    self.intercept += update * SPARSE_INTERCEPT_DECAY
                self.updates += 1
        _fold(weights, scale)


def _fold(weights: MutableSequence[float], scale: float) -> None:
    if scale != 1.0:
        for bucket, weight in enumerate(weights):
            if weight:
                weights[bucket] = weight * scale


def _log_loss_gradient(label: float, raw: float) -> float:
    """expit(raw) - label, computed as scikit-learn does (no overflow at either end)."""
    if raw > -37.0:
        exp_minus = math.exp(-raw)
        return ((1.0 - label) - label * exp_minus) / (1.0 + exp_minus)
    return math.exp(raw) - label
