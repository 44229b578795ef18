"""A comment as the learned model sees it: hashed features, in pure Python.

Every feature (a word, a pair of words, a few letters, a link's domain, a word of the
author's name, the website's domain, a behaviour the pipeline noticed) is hashed
into one of ``BUCKETS`` buckets with CRC-32 (C speed, stable across processes and
versions, unlike ``hash()``). The vector is binary and scaled to length 1, so a long
comment weighs no more than a short one. The web worker scores with this module
alone; the learner (``learning``, ``sgd``) trains on the same buckets in the background.
"""

from __future__ import annotations

import math
import re
import zlib
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


def _kind(name: str) -> int:
    # CRC-32 goes on from a starting value: each kind of feature starts from its own,
    # so a word and a name part of the same letters land in different buckets.
    return zlib.crc32(name.encode())


_WORDS, _PAIRS, _LETTER_GROUPS, _OTHER = map(_kind, ("word", "pair", "letters", "other"))


def bucket(feature: str) -> int:
    """The bucket of a named feature (links, name, website, signals)."""
    return zlib.crc32(feature.encode("utf-8", "surrogatepass"), _OTHER) & (BUCKETS - 1)


def _domain(address: str) -> str:
    if "://" not in address and not address.lower().startswith("mailto:"):
        address = "http://" + address
    host = urlsplit(address).hostname or ""
    return host.removeprefix("www.")


def _count_bucket(count: int) -> str:
    return str(count) if count < 3 else "3+" if count < 6 else "6+"


def _named_features(comment: CommentText, text: str, links: tuple[str, ...], words: int
                    ) -> list[str]:  # fmt: skip
    names = [f"links:{_count_bucket(len(links))}", f"length:{_count_bucket(words // 10)}"]
    names += [f"link:{_domain(link)}" for link in links[:_MAX_LINKS]]
    letters = _NOT_LETTER.sub("", text)
    capitals = sum(map(str.__ne__, letters, letters.lower()))
    if len(letters) >= 10 and capitals > len(letters) / 2:
        names.append("shouting")
    names += [f"n:{word}" for word in _WORD.findall(comment.name.lower())]
    if any(char.isdigit() for char in comment.name):
        names.append("name:digits")
    names.append(f"website:{_domain(comment.website)}" if comment.website else "website:none")
    names += [f"signal:{signal}" for signal in comment.signals]
    return names


def vector(comment: CommentText) -> list[int]:
    """The sorted, distinct buckets of the comment's features: its words, pairs of
    words, groups of four letters (bytes of UTF-8: cheap, and a word spelt apart or
    with look-alike letters still shares most of them), and the named features."""
    content = rendered_content(comment.html)
    # A 10,000-character body says what it says in its first words: the cost of a
    # post stays bounded whatever its length.
    text = content.text[:_MAX_CHARACTERS]
    words = [word.encode() for word in _WORD.findall(text.lower())[:_MAX_WORDS]]
    crc32 = zlib.crc32
    found = {crc32(word, _WORDS) for word in words}
    found.update(crc32(first + b" " + second, _PAIRS)
                 for first, second in zip(words, words[1:], strict=False))  # fmt: skip
    spelt = b" " + b" ".join(words[:_MAX_SPELT_WORDS]) + b" "
    found.update(crc32(spelt[i : i + _LETTERS], _LETTER_GROUPS)
                 for i in range(len(spelt) - _LETTERS + 1))  # fmt: skip
    found.update(crc32(name.encode("utf-8", "surrogatepass"), _OTHER)
                 for name in _named_features(comment, text, content.links, len(words)))  # fmt: skip
    return sorted({value & (BUCKETS - 1) for value in found})


def value_of(buckets: list[int]) -> float:
    """Each bucket's value in the unit-length binary vector."""
    return 1.0 / math.sqrt(len(buckets)) if buckets else 0.0
