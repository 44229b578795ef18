"""What imported comments teach the spam model.

A site's history is the best training set there is: the comments its moderators
approved and the ones they marked as spam. ``learn_from_import`` is the one place an
import hands them over, after its transaction is committed. The spam model (the
``commentsvc.spam`` package) learns from them when it provides
``learn_from_examples(examples)``; without it, nothing is learnt and the import is the
same.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingExample:
    text: str
    is_spam: bool


def _learner() -> Callable[[Sequence[TrainingExample]], Any] | None:
    try:
        spam = importlib.import_module("commentsvc.spam")
    except ImportError:
        return None
    learner: Callable[[Sequence[TrainingExample]], Any] | None = getattr(
        spam, "learn_from_examples", None
    )
    return learner


def learn_from_import(examples: Sequence[TrainingExample]) -> bool:
    """Hand the imported (text, is_spam) examples to the spam model. True when a model
    took them."""
    learner = _learner()
    if learner is None or not examples:
        return False
    learner(examples)
    log.info("spam model learnt from %d imported comments", len(examples))
    return True
