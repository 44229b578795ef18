"""Checking the filter on labelled comments: precision, recall, confusion matrix.

``commentsvc spam evaluate FILE.csv`` reads columns ``text``, ``label`` (1/0 or
spam/ham) and optionally ``author``; the YouTube Spam Collection's own columns
(``CONTENT``, ``CLASS``, ``AUTHOR``) are read as well.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from commentsvc.comments.rendering import render
from commentsvc.spam.features import CommentText, vector

SPAM_LABELS = {"1", "spam", "true", "yes"}
HAM_LABELS = {"0", "ham", "not spam", "false", "no"}
# The shipped data is split by comment id: the shipped model learns from one part,
# the benchmark's moderators decide another, and the last is only ever measured.
PARTS = {"initial": range(0, 4), "moderated": range(4, 7), "held out": range(7, 10)}


class LabelledFileError(ValueError):
    """A labelled file the evaluation cannot read, with the line at fault."""


@dataclass(frozen=True)
class Labelled:
    text: str
    spam: bool
    author: str = ""
    id: str = ""

    @property
    def part(self) -> str:
        tenth = zlib.crc32(self.id.encode()) % 10
        return next(name for name, tenths in PARTS.items() if tenth in tenths)

    def as_comment(self) -> CommentText:
        return CommentText(html=render(self.text), name=self.author)


def _column(row: dict[str, str], *names: str) -> str | None:
    for name in names:
        for key, value in row.items():
            if key is not None and key.strip().lower() == name:
                return value
    return None


def read_labelled(path: Path) -> Iterator[Labelled]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        for line, row in enumerate(reader, start=2):
            text = _column(row, "text", "content")
            label = (_column(row, "label", "class") or "").strip().lower()
            if text is None or not label:
                raise LabelledFileError(f"line {line}: needs the columns text and label")
            if label not in SPAM_LABELS | HAM_LABELS:
                raise LabelledFileError(f"line {line}: label {label!r} is not 1/0 or spam/ham")
            yield Labelled(
                text=text.strip().rstrip("\ufeff").strip(),
                spam=label in SPAM_LABELS,
                author=(_column(row, "author") or "").strip(),
                id=_column(row, "comment_id", "id") or f"{path.name}:{line}",
            )


@dataclass(frozen=True)
class Confusion:
    threshold: float
    true_spam: int = 0  # spam, scored at or above the threshold
    false_spam: int = 0  # a real comment scored as spam
    missed_spam: int = 0
    true_ham: int = 0

    @property
    def precision(self) -> float:
        flagged = self.true_spam + self.false_spam
        return self.true_spam / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        spam = self.true_spam + self.missed_spam
        return self.true_spam / spam if spam else 1.0

    def report(self) -> str:
        total = self.true_spam + self.false_spam + self.missed_spam + self.true_ham
        return "\n".join([
            f"{total} comments, threshold {self.threshold:g}",
            f"precision {self.precision:.3f}  (of comments marked spam, how many are spam)",
            f"recall    {self.recall:.3f}  (of spam, how much is marked spam)",
            "",
            "                 scored spam   scored not spam",
            f"  labelled spam  {self.true_spam:>11}   {self.missed_spam:>15}",
            f"  labelled ham   {self.false_spam:>11}   {self.true_ham:>15}",
        ])  # fmt: skip


def confusion(pairs: Iterable[tuple[bool, float]], threshold: float) -> Confusion:
    """From (labelled spam, score) pairs."""
    counts = {"true_spam": 0, "false_spam": 0, "missed_spam": 0, "true_ham": 0}
    for spam, score in pairs:
        flagged = score >= threshold
        key = ("true_spam" if flagged else "missed_spam") if spam else (
            "false_spam" if flagged else "true_ham")  # fmt: skip
        counts[key] += 1
    return Confusion(threshold, **counts)


def evaluate(rows: Iterable[Labelled], score: Callable[[list[int]], float],
             threshold: float) -> Confusion:  # fmt: skip
    return confusion(((row.spam, score(vector(row.as_comment()))) for row in rows), threshold)
