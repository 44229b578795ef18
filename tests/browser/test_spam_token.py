"""The embed's form token in a real browser: a form filled and sent at once is
"too fast", one a person takes their time over is not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Widget
from tests.browser.test_embed import post_through_the_form

pytestmark = pytest.mark.browser


def _queued_reasons(widget: Widget) -> list[list[str]]:
    queue = widget.client.get("/api/v1/moderation/queue", headers=widget.auth).json["comments"]
    return [comment["spam"] for comment in sorted(queue, key=lambda c: c["id"])]


def test_a_form_sent_right_after_it_was_started_is_too_fast(page: Any, widget: Widget) -> None:
    page.goto(widget.article())
    with page.expect_response(lambda response: "form-token" in response.url) as token:
        page.get_by_role("textbox", name="Comment", exact=True).focus()
    assert token.value.ok

    post_through_the_form(page, "Sent by a quick script")

    [reasons] = _queued_reasons(widget)
    assert len(reasons) == 1 and reasons[0].startswith("too fast: posted ")


def test_a_reader_taking_their_time_leaves_no_reason(page: Any, widget: Widget) -> None:
    page.goto(widget.article())
    with page.expect_response(lambda response: "form-token" in response.url):
        page.get_by_role("textbox", name="Comment", exact=True).focus()
    page.wait_for_timeout(3500)  # a person reading over what they wrote

    post_through_the_form(page, "Written with some thought")

    assert _queued_reasons(widget) == [[]]
