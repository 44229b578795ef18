"""The moderation page in a real browser: a moderator opens it with a token, sees
hostile comments as plain text, and decides."""

from __future__ import annotations

from typing import Any

import pytest
from playwright import sync_api as playwright_api

from tests.conftest import ARTICLE, comment_payload


@pytest.fixture
def live_app(app: Any, serve_app: Any) -> str:
    return str(serve_app(app))


def test_a_moderator_approves_from_the_page_and_hostile_text_stays_text(
    live_app: str, page: Any, client: Any, moderator_token: str
) -> None:
    hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    client.post("/api/v1/comments", json=comment_payload(name=hostile, body=hostile))
    client.post(
        "/api/v1/comments", json=comment_payload(body="A kind word.", email="k@example.com")
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None
    )

    response = page.goto(f"{live_app}/moderate")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page.get_by_label("Moderator token").fill(moderator_token)
    page.get_by_role("button", name="Open the queue").click()

    comments = page.locator("#comments > li")
    playwright_api.expect(comments).to_have_count(2)
    # The queue sorts by spam score: find each comment by what it says.
    hostile_item = comments.filter(has_text="onerror")
    kind_item = comments.filter(has_text="A kind word.")
    playwright_api.expect(hostile_item.locator(".body")).to_have_text(hostile)
    playwright_api.expect(hostile_item.locator(".name")).to_have_text(hostile)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#comments img, #comments script").count() == 0

    kind_item.get_by_role("button", name="Approve").click()
    playwright_api.expect(page.get_by_role("status")).to_contain_text("Approved")
    playwright_api.expect(comments).to_have_count(1)

    thread = client.get("/api/v1/comments", query_string={"url": ARTICLE}).json
    assert [c["html"] for c in thread["comments"]] == ["<p>A kind word.</p>"]
    assert errors == []


def test_a_wrong_token_brings_the_login_back(
    live_app: str, page: Any, moderator_token: str
) -> None:
    page.goto(f"{live_app}/moderate")
    page.get_by_label("Moderator token").fill("not-the-token")
    page.get_by_role("button", name="Open the queue").click()

    playwright_api.expect(page.get_by_role("status")).to_have_text("That token was not accepted.")
    playwright_api.expect(page.get_by_label("Moderator token")).to_be_visible()
