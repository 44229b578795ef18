"""The widget's "Notify me of replies by email" checkbox."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from commentsvc.comments.models import Comment
from tests.browser.conftest import Widget

pytestmark = pytest.mark.browser


def notify_choices(widget: Widget) -> dict[str, bool]:
    with widget.client.application.extensions["commentsvc"].database.sessions() as session:
        rows = session.execute(select(Comment.body, Comment.notify_replies)).all()
        return {body: notify for body, notify in rows}


def test_a_reader_asks_for_reply_mail_with_the_checkbox(page: Any, widget: Widget) -> None:
    page.goto(widget.article())
    for body, ticked in (("Tell me about replies", True), ("No mail, thanks", False)):
        page.get_by_role("textbox", name="Comment", exact=True).fill(body)
        page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
        page.get_by_role("textbox", name="Email", exact=True).fill("ada@example.com")
        checkbox = page.get_by_role("checkbox", name="Notify me of replies by email")
        expect(checkbox).not_to_be_checked()
        if ticked:
            checkbox.check()
        page.get_by_role("button", name="Post Comment").click()
        expect(page.get_by_role("status")).to_have_text("Your comment is awaiting moderation.")
        page.reload()

    assert notify_choices(widget) == {"Tell me about replies": True, "No mail, thanks": False}
