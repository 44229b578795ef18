"""Spam rules: reasons a moderator should look twice. They flag, they never
decide; the moderator sees the reasons next to the comment in the queue."""

from __future__ import annotations

import re
from dataclasses import dataclass

from commentsvc.comments.rendering import count_links


@dataclass(frozen=True)
class Rules:
    blocked_words: tuple[str, ...]
    max_links: int

    def reasons(self, *, body: str, name: str, honeypot_filled: bool, duplicate: bool) -> list[str]:
        reasons = []
        if honeypot_filled:
            reasons.append("honeypot: a field hidden from people was filled in")
        if duplicate:
            reasons.append("duplicate: the same comment was already posted on this article")
        links = count_links(body)
        if links > self.max_links:
            reasons.append(f"links: {links} links (more than {self.max_links})")
        text = f"{name}\n{body}".lower()
        found = [word for word in self.blocked_words if _contains_word(text, word)]
        if found:
            reasons.append("blocked words: " + ", ".join(found))
        return reasons


def _contains_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None
