"""The spam pipeline: every new comment passes the checks in WordPress' order, and
each check that finds something leaves a reason the moderator can read.

blocked author → duplicate → flood → honeypot → too fast → links → blocked words
→ the learned score. A blocked author's comment is spam, a trusted author's is
published; otherwise a score at or above COMMENTSVC_SPAM_THRESHOLD makes the
comment spam without a moderator, and anything below waits in the queue with its
score and reasons. Nothing is ever deleted: spam stays under ``status=spam`` for
moderators to restore.

The checks read the comment as readers would get it, the rendered HTML: links that
survive rendering (whatever the entities or Markdown forms of the body) and the
rendered text. The post costs one Redis round trip (its rate limits, flood counts
and the model's weights for this comment's features, see ``model``) and
pure-Python hashing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from commentsvc.comments.models import CommentStatus
from commentsvc.comments.ratelimit import PostLimiter
from commentsvc.comments.rendering import rendered_content
from commentsvc.moderation import history
from commentsvc.moderation.trust import Trust
from commentsvc.spam import formtoken
from commentsvc.spam.features import CommentText, vector
from commentsvc.spam.learning import signals_of
from commentsvc.spam.model import SpamModel

BLOCKED_AUTHOR = "blocked author: a moderator blocked this email address"
DUPLICATE = "duplicate: the same comment was already posted on this article"
HONEYPOT = "honeypot: a field hidden from people was filled in"


@dataclass(frozen=True)
class NewComment:
    """What the pipeline reads of a comment about to be stored."""

    html: str  # rendered
    name: str
    email: str
    website: str | None
    address: str | None
    trust: Trust = Trust.NONE
    duplicate: bool = False
    honeypot_filled: bool = False
    form_token: str | None = None


@dataclass(frozen=True)
class Verdict:
    status: CommentStatus
    decided_by: str | None  # the rule that decided, None when a moderator will
    reasons: list[str]
    score: float


def _contains_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" + ("s" if count != 1 else "")
    return f"{seconds} seconds"


@dataclass(frozen=True)
class SpamFilter:
    model: SpamModel
    limiter: PostLimiter  # counted in the model's round trip
    secret_key: str
    blocked_words: tuple[str, ...]
    max_links: int
    threshold: float

    def judge(self, comment: NewComment) -> Verdict:
        before_flood: list[str] = []
        if comment.trust == Trust.BLOCKED:
            before_flood.append(BLOCKED_AUTHOR)
        if comment.duplicate:
            before_flood.append(DUPLICATE)
        after_flood = self._form_reasons(comment) + self._content_reasons(comment)
        # The features but the flood signal: the flood counts come back with the weights.
        known = signals_of(before_flood + after_flood)
        buckets = vector(CommentText(comment.html, comment.name, comment.website, known))
        counters = self.limiter.counters(comment.address)
        check = self.model.check(buckets, comment.address, comment.email, counters)
        flood = self._flood_reasons(check.posts_from_address, check.posts_from_email)
        reasons = before_flood + flood + after_flood
        return Verdict(*self._decision(comment.trust, check.score), reasons, check.score)

    def _decision(self, trust: Trust, score: float) -> tuple[CommentStatus, str | None]:
        if trust == Trust.BLOCKED:
            return CommentStatus.SPAM, history.rule("blocked author")
        if trust == Trust.TRUSTED:
            return CommentStatus.APPROVED, history.rule("trusted author")
        if score >= self.threshold:
            return CommentStatus.SPAM, history.rule("spam score")
        return CommentStatus.PENDING, None

    def _flood_reasons(self, by_address: int, by_email: int) -> list[str]:
        limit = self.model.flood_window
        window = _duration(limit.seconds)
        if by_address > limit.amount:
            return [f"flood: {by_address} comments from this IP address in {window}"]
        if by_email > limit.amount:
            return [f"flood: {by_email} comments from this email address in {window}"]
        return []

    def _form_reasons(self, comment: NewComment) -> list[str]:
        reasons = [HONEYPOT] if comment.honeypot_filled else []
        if comment.form_token:
            reason = formtoken.check(self.secret_key, comment.form_token).reason()
            if reason:
                reasons.append(reason)
        return reasons

    def _content_reasons(self, comment: NewComment) -> list[str]:
        reasons = []
        content = rendered_content(comment.html)
        if len(content.links) > self.max_links:
            reasons.append(f"links: {len(content.links)} links (more than {self.max_links})")
        found = self._blocked_words(comment, content.text)
        if found:
            reasons.append("blocked words: " + ", ".join(found))
        return reasons

    def _blocked_words(self, comment: NewComment, text: str) -> list[str]:
        """WordPress' disallowed keys: words in the name or text; anywhere in the
        email, website or IP address (a key can be a domain or an address prefix)."""
        written = f"{comment.name}\n{text}".lower()
        identity = "\n".join(
            part for part in (comment.email, comment.website, comment.address) if part
        ).lower()
        return [word for word in self.blocked_words
                if _contains_word(written, word) or word in identity]  # fmt: skip
