"""Train the spam model shipped with commentsvc (commentsvc/spam/weights/).

    .venv/bin/python scripts/train_spam_model.py bench/data/youtube-spam/*.csv

Learns from the "initial" part of the labelled comments only (see
commentsvc/spam/evaluation.py PARTS): the benchmark's moderators decide the
"moderated" part and the "held out" part is only ever measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import SGDClassifier

from commentsvc.spam.evaluation import confusion, read_labelled
from commentsvc.spam.features import BUCKETS, value_of, vector
from commentsvc.spam.learning import ALPHA
from commentsvc.spam.model import score_with, write_shipped_model

OUTPUT = Path(__file__).parents[1] / "commentsvc" / "spam" / "weights" / "initial.bin.gz"


def main(paths: list[str]) -> None:
    rows = [row for path in paths for row in read_labelled(Path(path))]
    initial = [row for row in rows if row.part == "initial"]
    held_out = [row for row in rows if row.part == "held out"]
    vectors = [vector(row.as_comment()) for row in initial]
    indices = [index for buckets in vectors for index in buckets]
    values = [value_of(buckets) for buckets in vectors for _ in buckets]
    offsets = np.cumsum([0] + [len(buckets) for buckets in vectors])
    features = csr_matrix((values, indices, offsets), shape=(len(vectors), BUCKETS))
    labels = np.array([int(row.spam) for row in initial])
    classifier = SGDClassifier(loss="log_loss", alpha=ALPHA, max_iter=50, tol=None,
                               random_state=1)  # fmt: skip
    classifier.fit(features, labels)
    coef = classifier.coef_[0]
    nonzero = np.flatnonzero(coef)
    weights = {int(i): float(coef[i]) for i in nonzero}
    about = {
        "data": "YouTube Spam Collection (Alberto, Lochter, Almeida, 2015), UCI Machine "
        "Learning Repository: Youtube01-Psy, Youtube02-KatyPerry, Youtube03-LMFAO",
        "licence": "CC BY 4.0",
        "trained_on": f"{len(initial)} comments (the 'initial' part)",
        "scikit-learn": f"SGDClassifier(loss='log_loss', alpha={ALPHA:g})",
    }
    intercept = float(classifier.intercept_[0])
    write_shipped_model(OUTPUT, weights, intercept, float(classifier.t_), about)

    def score(buckets: list[int]) -> float:
        return score_with(coef, intercept, buckets)

    check = confusion(((row.spam, score(vector(row.as_comment()))) for row in held_out), 0.9)
    print(f"{len(nonzero)} weights written to {OUTPUT}")
    print(check.report())


if __name__ == "__main__":
    main(sys.argv[1:])
