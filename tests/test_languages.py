"""Every language has every string, with plural forms its rules know."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from commentsvc.web.embed import LANGUAGES
from commentsvc.web.i18n import catalog, translate
from tests.conftest import ARTICLE

ROOT = Path(__file__).parent.parent
PLACEHOLDER = re.compile(r"\{\w*\}")


def widget_english() -> dict[str, Any]:
    """The strings built into embed.js (its object literal S), read with node."""
    source = (ROOT / "embed" / "embed.js").read_text()
    literal = re.search(r"var S = (\{.*?\n  \});", source, re.DOTALL)
    assert literal, "embed.js keeps its English strings in `var S = {...};`"
    printed = subprocess.run(
        ["node", "-e", f"console.log(JSON.stringify({literal.group(1)}))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    strings: dict[str, Any] = json.loads(printed.stdout)
    return strings


def plural_categories(language: str) -> set[str]:
    printed = subprocess.run(
        ["node", "-e", f"console.log(JSON.stringify("
         f"new Intl.PluralRules('{language}').resolvedOptions().pluralCategories))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(json.loads(printed.stdout))


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_widget_language_has_every_string_and_its_plural_forms(language: str) -> None:
    english = widget_english()
    strings = json.loads((ROOT / "embed" / "lang" / f"{language}.json").read_text())
    categories = plural_categories(language)

    assert set(strings) - {"dir"} == set(english)
    for key, value in strings.items():
        if key == "dir":
            assert value in ("ltr", "rtl")
            continue
        if isinstance(english[key], dict):
            assert "other" in value and set(value) <= categories, (key, set(value), categories)
            for form in value.values():
                assert placeholders(form) <= {"{n}"}
        else:
            assert isinstance(value, str) and value.strip()
            assert placeholders(value) == placeholders(english[key]), key


def test_arabic_is_laid_out_right_to_left_and_only_it() -> None:
    directions = {
        language: json.loads((ROOT / "embed" / "lang" / f"{language}.json").read_text()).get("dir")
        for language in LANGUAGES
    }
    assert {language for language, direction in directions.items() if direction == "rtl"} == {"ar"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_server_catalog_has_every_readers_message(language: str) -> None:
    english, _patterns = catalog("en")
    messages, _patterns = catalog(language)

    assert set(messages) == set(english)
    for source, translated in messages.items():
        assert translated.strip()
        assert translated.count("{}") <= source.count("{}"), source


def test_validation_errors_come_in_the_readers_language(client: Any) -> None:
    answer = client.post(
        "/api/v1/comments",
        json={"url": ARTICLE, "name": " ", "email": "ada@example", "body": "", "extra": 1},
        headers={"Accept-Language": "de-CH, de;q=0.9, en;q=0.5"},
    )

    assert answer.status_code == 422
    assert answer.headers["Content-Language"] == "de"
    assert "Accept-Language" in answer.headers["Vary"]
    error = answer.json["error"]
    assert error["message"] == "Bitte korrigiere die markierten Felder: body, email, extra, name."
    assert error["fields"] == {
        "body": ["Bitte schreibe einen Kommentar."],
        "email": ["Bitte gib eine gültige E-Mail-Adresse ein."],
        "extra": ["Unbekanntes Feld."],
        "name": ["Bitte gib deinen Namen ein."],
    }


def test_an_unknown_language_gets_english_and_numbers_carry_over(client: Any) -> None:
    answer = client.post(
        "/api/v1/comments",
        json={"url": ARTICLE, "name": "x" * 101, "email": "a@example.com", "body": "hi"},
        headers={"Accept-Language": "tlh"},
    )

    assert answer.json["error"]["fields"]["name"] == [
        "Please enter a name of at most 100 characters."
    ]
    assert translate("Please enter a name of at most 100 characters.", "ja") == (
        "名前は 100 文字以内で入力してください。"
    )
