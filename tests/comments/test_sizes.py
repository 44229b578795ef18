"""The size limit of a post fits the text limit, in any script and any encoding,
over real HTTP (chunked bodies included)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from tests.conftest import comment_payload

# Characters of every width in UTF-8: 1, 2, 3 and 4 bytes.
SCRIPTS = {"latin": "a", "cyrillic": "ж", "cjk": "漢", "emoji": "😀"}


def post(base: str, body: bytes, content_type: str, *, chunked: bool = False) -> tuple[int, Any]:
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(body), 16_384):
            yield body[start : start + 16_384]

    headers = {"Content-Type": content_type}
    try:
        if chunked:
            connection.request(
                "POST", "/api/v1/comments", body=pieces(), headers=headers, encode_chunked=True
            )
        else:
            connection.request("POST", "/api/v1/comments", body=body, headers=headers)
        response = connection.getresponse()
        text = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


def encoded(form: bool, **fields: Any) -> tuple[bytes, str]:
    payload = comment_payload(**fields)
    if form:
        return urlencode(payload).encode(), "application/x-www-form-urlencoded"
    return json.dumps(payload).encode(), "application/json"  # ASCII: \\u escapes


@pytest.fixture
def base(app: Any, serve_app: Callable[[Any], str]) -> str:
    return serve_app(app)


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
@pytest.mark.parametrize("form", [True, False], ids=["form", "json"])
@pytest.mark.parametrize("script", SCRIPTS)
def test_ten_thousand_characters_of_any_script_fit(
    base: str, script: str, form: bool, chunked: bool
) -> None:
    body, content_type = encoded(
        form, body=SCRIPTS[script] * 10_000, name=SCRIPTS[script] * 100, website=None
    )

    status, answer = post(base, body, content_type, chunked=chunked)

    assert status == (303 if form else 202), answer
    if not form:
        assert len(answer["html"]) >= 10_000


@pytest.mark.parametrize("form", [True, False], ids=["form", "json"])
def test_a_chunked_body_over_the_limit_is_413_never_cut(app: Any, base: str, form: bool) -> None:
    body, content_type = encoded(form, body="x" * 400_000)

    status, answer = post(base, body, content_type, chunked=True)

    assert status == 413, answer
    assert answer == {"error": {"code": 413, "message": "The comment is too large."}}
    with app.extensions["commentsvc"].database.sessions() as session:
        from sqlalchemy import func, select

        from commentsvc.comments.models import Comment

        assert session.scalar(select(func.count()).select_from(Comment)) == 0
