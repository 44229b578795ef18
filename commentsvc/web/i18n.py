"""Readers' error messages in their language, from the request's Accept-Language.

The messages are written in English where they arise (schemas, services, the
error handlers); the envelope translates them on the way out, by catalogs in
``messages/``: one JSON file per language mapping each English message to its
translation. ``{}`` in a message stands for what varies (a number, the list of
fields) and is carried over. A message no catalog knows stays English; moderators'
messages are English.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from flask import has_request_context, request

DEFAULT = "en"
LANGUAGES = ("ar", "de", "en", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru", "uk", "zh")


@cache
def catalog(language: str) -> tuple[dict[str, str], list[tuple[re.Pattern[str], str]]]:
    """The exact messages of a language, and the patterns of those with ``{}``."""
    text = resources.files("commentsvc.web.messages").joinpath(f"{language}.json").read_text()
    messages: dict[str, str] = json.loads(text)
    patterns = [
        (re.compile("^" + re.escape(english).replace(r"\{\}", "(.*?)") + "$", re.DOTALL), local)
        for english, local in messages.items()
        if "{}" in english
    ]
    return messages, patterns


def request_language() -> str:
    """The reader's language among those there are catalogs for (English by default)."""
    if not has_request_context() or not request.accept_languages:
        return DEFAULT
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT) or DEFAULT


def translate(message: str, language: str) -> str:
    if language == DEFAULT:
        return message
    exact, patterns = catalog(language)
    found = exact.get(message)
    if found is not None:
        return found
    for pattern, local in patterns:
        match = pattern.match(message)
        if match:
            return _fill(local, match.groups())
    return message


def _fill(template: str, values: tuple[str, ...]) -> str:
    parts = template.split("{}")
    filled = [parts[0]]
    for index, part in enumerate(parts[1:]):
        filled += [values[index] if index < len(values) else "", part]
    return "".join(filled)
