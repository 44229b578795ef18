"""The learner's steps are scikit-learn's: SGDClassifier(loss="log_loss") in
partial_fit, from the same weights, on the same sparse rows in the same order."""

from __future__ import annotations

import random
from array import array

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from sklearn.linear_model import SGDClassifier

from commentsvc.spam.features import value_of
from commentsvc.spam.sgd import OnlineModel, Row

FEATURES = 4096


def _rows(count: int, rng: random.Random) -> list[Row]:
    rows = []
    for _ in range(count):
        buckets = [rng.randrange(FEATURES) for _ in range(rng.randint(1, 40))]
        rows.append(Row(buckets, value_of(buckets), rng.random() < 0.4))
    return rows


def _vector(weights: dict[int, float]) -> np.ndarray:
    vector = np.zeros(FEATURES)
    for bucket, weight in weights.items():
        vector[bucket] = weight
    return vector


def _scikit_learn(
    weights: dict[int, float], intercept: float, rows: list[Row], passes: int, alpha: float
) -> SGDClassifier:
    classifier = SGDClassifier(loss="log_loss", alpha=alpha, learning_rate="constant",
                               eta0=1.0, shuffle=False)  # fmt: skip
    classifier.coef_ = _vector(weights).reshape(1, FEATURES)
    classifier.intercept_ = np.array([intercept])
    classifier.classes_ = np.array([0, 1])
    classifier.t_ = 1.0
    classifier.n_features_in_ = FEATURES
    indices = [bucket for row in rows for bucket in row.buckets]
    values = [row.value for row in rows for _ in row.buckets]
    offsets = np.cumsum([0] + [len(row.buckets) for row in rows])
    matrix = csr_matrix((np.array(values), np.array(indices), offsets), shape=(len(rows), FEATURES))
    labels = np.array([int(row.spam) for row in rows])
    for _ in range(passes):
        classifier.partial_fit(matrix, labels)
    return classifier


# 0.05 shrinks the weights below the scale at which they are folded in, mid-pass.
@pytest.mark.parametrize("alpha", [1e-5, 0.05])
def test_online_model_takes_scikit_learns_steps(alpha: float) -> None:
    rng = random.Random(7)
    start = {rng.randrange(FEATURES): rng.uniform(-3, 3) for _ in range(300)}
    rows = _rows(500, rng)
    model = OnlineModel(array("d", _vector(start)), -1.5, 1.0)

    model.learn(rows, passes=3, alpha=alpha, rate=1.0, seed=None)
    expected = _scikit_learn(start, -1.5, rows, 3, alpha)

    learned = np.array(model.weights)
    assert np.allclose(learned, expected.coef_[0], rtol=1e-12, atol=1e-12)
    assert model.intercept == pytest.approx(expected.intercept_[0], rel=1e-12)
    assert model.updates == expected.t_ == 1.0 + 3 * len(rows)
    assert np.abs(learned - _vector(start)).max() > 0.1  # it did learn something


def test_a_seed_gives_the_same_model_and_another_order_another() -> None:
    rows = _rows(200, random.Random(3))
    models = [OnlineModel(array("d", bytes(8 * FEATURES)), 0.0, 1.0) for _ in range(3)]
    for model, seed in zip(models, [11, 11, 12], strict=True):
        model.learn(rows, passes=3, alpha=1e-5, rate=1.0, seed=seed)
    assert models[0] == models[1]
    assert models[0].weights != models[2].weights
