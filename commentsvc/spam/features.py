"""A comment as the learned model sees it: hashed features, in pure Python.

Every feature (a word, a pair of words, a few letters, a link's domain, a word of the
author's name, the website's domain, a behaviour the pipeline noticed) is hashed
into one of ``BUCKETS`` buckets with CRC-32 (C speed, stable across processes and
versions, unlike ``hash()``). The vector is binary and scaled to length 1, so a long
comment weighs no more than a short one. The web worker scores with this module
alone; scikit-learn trains on the same buckets in the background.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from commentsvc.comments.rendering import rendered_content

BUCKETS = 1 << 18
_WORD = re.compile(r"\w+")
_LETTERS = 4  # the length of the letter groups: they catch words spelt apart or oddly
_MAX_CHARACTERS = 2_000
_MAX_WORDS = 300
_MAX_SPELT_WORDS = 100  # words also read as letter groups
_MAX_LINKS = 20
_NOT_LETTER = re.compile(r"[\W\d_]+")


@dataclass(frozen=True)
class CommentText:
    """What the model reads of a comment."""

    html: str  # the rendered body: what readers see
    name: str = ""
    website: str | None = None
    signals: tuple[str, ...] = ()  # the pipeline's reasons, as kinds ("flood", "too fast")


def bucket(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8", "surrogatepass")) & (BUCKETS - 1)


def _domain(address: str) -> str:
    if "://" not in address and not address.lower().startswith("mailto:"):
        address = "http://" + address
    host = urlsplit(address).hostname or ""
    return host.removeprefix("www.")


def _count_bucket(count: int) -> str:
    return str(count) if count < 3 else "3+" if count < 6 else "6+"


def feature_names(comment: CommentText) -> set[str]:
    content = rendered_content(comment.html)
    # A 10,000-character body says what it says in its first words: the cost of a
    # post stays bounded whatever its length.
    text = content.text[:_MAX_CHARACTERS]
    words = _WORD.findall(text.lower())[:_MAX_WORDS]
    names: set[str] = {f"w:{word}" for word in words}
    names.update(f"b:{first} {second}" for first, second in zip(words, words[1:], strict=False))
    for word in words[:_MAX_SPELT_WORDS]:
        padded = f" {word} "
        names.update(f"c:{padded[i : i + _LETTERS]}" for i in range(len(padded) - _LETTERS + 1))
    names.add(f"links:{_count_bucket(len(content.links))}")
    names.update(f"link:{_domain(link)}" for link in content.links[:_MAX_LINKS])
    names.add(f"length:{_count_bucket(len(words) // 10)}")
    letters = _NOT_LETTER.sub("", text)
    capitals = sum(map(str.__ne__, letters, letters.lower()))
    if len(letters) >= 10 and capitals > len(letters) / 2:
        names.add("shouting")
    names.update(f"n:{word}" for word in _WORD.findall(comment.name.lower()))
    if any(char.isdigit() for char in comment.name):
        names.add("name:digits")
    names.add(f"website:{_domain(comment.website)}" if comment.website else "website:none")
    names.update(f"signal:{signal}" for signal in comment.signals)
    return names


def hashed(names: Iterable[str]) -> list[int]:
    """The sorted, distinct buckets of these features."""
    return sorted({bucket(name) for name in names})


def vector(comment: CommentText) -> list[int]:
    return hashed(feature_names(comment))


def value_of(buckets: list[int]) -> float:
    """Each bucket's value in the unit-length binary vector."""
    return 1.0 / math.sqrt(len(buckets)) if buckets else 0.0
