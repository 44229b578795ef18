"""The moderation console in Chromium, walked through as a moderator works in it: the
real service (real Redis, real database) on one port, the articles with the embed on
another origin."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from commentsvc.comments.models import Comment
from commentsvc.moderation.services import add_moderator, remove_moderator
from tests.browser.conftest import AXE, Widget

DOCS = Path(__file__).parent.parent.parent / "docs"


def token_of(widget: Widget) -> str:
    return widget.auth["Authorization"].removeprefix("Bearer ")


def log_in(page: Any, widget: Widget, token: str | None = None) -> None:
    page.goto(f"{widget.service}/moderate")
    page.get_by_label("Moderator token").fill(token or token_of(widget))
    page.get_by_role("button", name="Open the queue").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def items(page: Any) -> Any:
    return page.locator("#comments > li.comment:visible")


def item_of(page: Any, comment_id: int) -> Any:
    return page.locator(f"#comment-{comment_id}")


def public_bodies(widget: Widget, url: str) -> list[str]:
    thread = widget.client.get("/api/v1/comments", query_string={"url": url}).json
    return [comment["html"] for comment in thread["comments"]]


def status_of(widget: Widget, comment_id: int) -> str:
    answer = widget.client.get(
        "/api/v1/moderation/comments", query_string={"limit": 100}, headers=widget.auth
    )
    return next(c["status"] for c in answer.json["comments"] if c["id"] == comment_id)


@pytest.fixture
def screenshots(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Screenshots go to a temporary folder; to docs/ too with COMMENTSVC_UPDATE_SCREENSHOTS=1."""

    def take(target: Any, name: str) -> Path:
        path = tmp_path / f"moderate-{name}.png"
        target.screenshot(path=str(path))
        if os.environ.get("COMMENTSVC_UPDATE_SCREENSHOTS") == "1":
            DOCS.mkdir(exist_ok=True)
            shutil.copy(path, DOCS / path.name)
        return path

    return take


def test_log_in_then_decide_with_the_keyboard_until_the_queue_is_empty(
    page: Any, widget: Widget
) -> None:
    url = widget.article()
    first = widget.post(url, name="Ada", body="First")
    second = widget.post(url, name="Bob", body="Second")
    third = widget.post(url, name="Cy", body="Third")

    log_in(page, widget)

    expect(page.get_by_label("Moderator token")).to_be_hidden()
    expect(items(page)).to_have_count(3)
    page.keyboard.press("?")
    expect(page.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", name="Keyboard shortcuts")).to_be_hidden()
    page.keyboard.press("j")
    expect(item_of(page, first["id"])).to_be_focused()
    page.keyboard.press("a")
    expect(page.get_by_role("status")).to_have_text("Approved: the comment by Ada.")
    expect(item_of(page, second["id"])).to_be_focused()
    page.keyboard.press("r")
    expect(page.get_by_role("status")).to_have_text("Rejected: the comment by Bob.")
    page.keyboard.press("s")

    # The confirmation stays when the queue is empty, beside a clear empty state.
    expect(page.get_by_role("status")).to_have_text("Marked as spam: the comment by Cy.")
    expect(items(page)).to_have_count(0)
    expect(page.get_by_text("Nothing waits for you.")).to_be_visible()
    assert public_bodies(widget, url) == ["<p>First</p>"]
    assert status_of(widget, second["id"]) == "rejected"
    assert status_of(widget, third["id"]) == "spam"
    page.get_by_role("button", name="Check for new comments").click()
    expect(page.get_by_role("status")).to_have_text("Checked for new comments.")


def test_unpublishing_takes_a_comment_off_the_article_at_once(
    page: Any, browser: Any, widget: Widget
) -> None:
    url = widget.article()
    kept = widget.published(url, name="Ada", body="Stays")
    regret = widget.published(url, name="Troll", body="Should not be up")
    reader = browser.new_page()
    reader.goto(url)
    expect(reader.get_by_role("heading", name="2 Comments")).to_be_visible()

    log_in(page, widget)
    page.get_by_role("button", name="Published", exact=True).click()
    expect(items(page)).to_have_count(2)
    item_of(page, regret["id"]).get_by_role("button", name="Reject").click()

    expect(page.get_by_role("status")).to_have_text("Rejected: the comment by Troll.")
    expect(items(page)).to_have_count(1)
    reader.reload()
    expect(reader.get_by_role("heading", name="1 Comment")).to_be_visible()
    expect(reader.get_by_text("Should not be up")).to_have_count(0)
    counts = widget.client.get("/api/v1/counts", query_string={"url": url}).json["counts"]
    assert counts == {url: 1}
    assert public_bodies(widget, url) == ["<p>Stays</p>"]
    page.get_by_role("button", name="Rejected", exact=True).click()
    expect(item_of(page, regret["id"])).to_be_visible()
    expect(item_of(page, kept["id"])).to_have_count(0)
    reader.close()


def test_find_an_authors_comments_block_them_and_trust_another(
    page: Any, browser: Any, widget: Widget
) -> None:
    first, second = widget.article("/one"), widget.article("/two")
    spam_ids = [
        widget.post(first, name="Spammer", email="spammer@example.com", body="Buy now")["id"],
        widget.published(second, name="Spammer", email="spammer@example.com", body="Cheap")["id"],
    ]
    widget.post(first, name="Grace", email="grace@example.com", body="A real comment")

    log_in(page, widget)
    item_of(page, spam_ids[0]).get_by_role(
        "button", name="All comments from spammer@example.com"
    ).click()

    expect(
        page.get_by_role("heading", name="All comments from spammer@example.com")
    ).to_be_visible()
    expect(items(page)).to_have_count(2)
    expect(item_of(page, spam_ids[1]).locator(".author-history")).to_have_text("Before: 1 waiting.")
    item_of(page, spam_ids[0]).get_by_role("button", name="Block author: Spammer").click()
    expect(page.get_by_role("status")).to_contain_text("Blocked: spammer@example.com")
    expect(items(page).locator(".trust")).to_have_text(["Blocked author", "Blocked author"])

    after_block = widget.post(first, name="Spammer", email="spammer@example.com", body="Again")
    assert status_of(widget, after_block["id"]) == "spam"
    assert "<p>Again</p>" not in public_bodies(widget, first)
    page.get_by_role("button", name="Spam", exact=True).click()
    expect(item_of(page, after_block["id"])).to_be_visible()

    page.get_by_role("button", name="Waiting").click()
    grace = items(page).filter(has_text="A real comment")
    grace.get_by_role("button", name="Trust author: Grace").click()
    expect(page.get_by_role("status")).to_contain_text("Trusted: grace@example.com")
    widget.post(first, name="Grace", email="grace@example.com", body="Published at once")
    reader = browser.new_page()
    reader.goto(first)
    expect(reader.get_by_text("Published at once")).to_be_visible()
    reader.close()


def test_search_by_text_and_per_article_view(page: Any, widget: Widget) -> None:
    one, two = widget.article("/one"), widget.article("/two")
    widget.post(one, name="Ada", body="About QUEUES")
    widget.post(one, name="Bob", body="Something else")
    on_two = widget.post(two, name="Cy", body="On the other article")["id"]
    log_in(page, widget)

    page.get_by_label("Text or name").fill("queues")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(items(page)).to_have_count(1)
    expect(items(page)).to_contain_text(["About QUEUES"])
    page.get_by_role("button", name="Clear search").click()
    expect(items(page)).to_have_count(3)
    item_of(page, on_two).get_by_role("button", name=f"All comments on {two}").click()

    expect(page.get_by_role("heading", name=f"All comments on {two}")).to_be_visible()
    expect(items(page)).to_have_count(1)
    expect(page.get_by_label("Article address")).to_have_value(two)


def test_bulk_approve_twenty_then_the_next_ones_are_claimed(page: Any, widget: Widget) -> None:
    url = widget.article()
    for number in range(22):
        widget.post(url, name=f"Reader {number}", body=f"Comment number {number}")
    log_in(page, widget)
    expect(items(page)).to_have_count(20)

    page.get_by_label("Select all shown").check()
    expect(page.get_by_text("20 selected")).to_be_visible()
    page.get_by_role("button", name="Approve selected").click()

    expect(page.get_by_role("status")).to_have_text("Approved: 20 comments.")
    expect(items(page)).to_have_count(2)
    expect(items(page)).to_contain_text(["Comment number 20", "Comment number 21"])
    assert len(public_bodies(widget, url)) == 20


def test_select_with_x_and_bulk_reject(page: Any, widget: Widget) -> None:
    url = widget.article()
    ids = [widget.post(url, name=f"R{n}", body=f"c{n}")["id"] for n in range(3)]
    log_in(page, widget)
    expect(items(page)).to_have_count(3)

    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.get_by_text("2 selected")).to_be_visible()
    page.get_by_role("button", name="Reject selected").click()

    expect(page.get_by_role("status")).to_have_text("Rejected: 2 comments.")
    expect(items(page)).to_have_count(1)
    assert [status_of(widget, i) for i in ids] == ["rejected", "pending", "rejected"]


def test_edit_a_typo_and_see_the_history(page: Any, widget: Widget) -> None:
    url = widget.article()
    comment = widget.published(url, name="Ada", body="A tpyo in *here*")
    log_in(page, widget)
    page.get_by_role("button", name="Published", exact=True).click()
    expect(items(page)).to_have_count(1)

    page.keyboard.press("j")
    page.keyboard.press("e")
    editor = page.get_by_role("textbox", name="Text of the comment")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("A tpyo in *here*")
    editor.fill("A typo in *here*")
    page.get_by_role("button", name="Save the text").click()

    expect(page.get_by_role("status")).to_have_text("Saved the new text of the comment by Ada.")
    expect(item_of(page, comment["id"]).locator(".html")).to_have_text("A typo in here")
    expect(item_of(page, comment["id"]).locator(".html em")).to_have_text("here")
    assert public_bodies(widget, url) == ["<p>A typo in <em>here</em></p>"]
    item_of(page, comment["id"]).get_by_role("button", name="History").click()
    history = item_of(page, comment["id"]).locator(".history > li")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("Posted by Ada")
    expect(history.nth(1)).to_contain_text("Approved by alice")
    expect(history.nth(2)).to_contain_text("Edited by alice")
    history.nth(2).get_by_text("Text before").click()
    expect(history.nth(2).locator("pre")).to_have_text("A tpyo in *here*")


def test_a_new_comment_arrives_live_with_a_count_in_the_title(page: Any, widget: Widget) -> None:
    url = widget.article()
    log_in(page, widget)
    expect(page.get_by_text("Nothing waits for you.")).to_be_visible()
    expect(page.get_by_text("New comments appear here as they arrive.").first).to_be_visible()

    comment = widget.post(url, name="Newcomer", body="Fresh off the press")

    expect(item_of(page, comment["id"])).to_contain_text("Fresh off the press")
    expect(page).to_have_title("(1 new) Moderation · commentsvc")


def test_a_decision_by_another_moderator_leaves_this_screen_and_claims_are_fair(
    page: Any, browser: Any, widget: Widget
) -> None:
    url = widget.article()
    ids = [widget.post(url, name=f"R{n}", body=f"c{n}")["id"] for n in range(2)]
    with widget.client.application.extensions["commentsvc"].database.sessions() as session:
        bob = add_moderator(session, "bob")
    log_in(page, widget)
    expect(items(page)).to_have_count(2)
    other = browser.new_page()
    log_in(other, widget, bob)
    # Alice holds both claims: Bob's queue does not show them.
    expect(other.get_by_text("Nothing waits for you.")).to_be_visible()

    other.get_by_role("button", name="All", exact=True).click()
    item_of(other, ids[0]).get_by_role("button", name="Approve").click()
    expect(other.get_by_role("status")).to_have_text("Approved: the comment by R0.")

    expect(item_of(page, ids[0])).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("bob decided the comment by R0.")
    expect(items(page)).to_have_count(1)
    other.close()


def test_a_409_when_another_moderator_decided_first_is_explained(page: Any, widget: Widget) -> None:
    url = widget.article()
    comment = widget.post(url, name="Ada", body="Contested")
    with widget.client.application.extensions["commentsvc"].database.sessions() as session:
        bob = {"Authorization": "Bearer " + add_moderator(session, "bob")}
    page.route("**/api/v1/moderation/stream", lambda route: route.abort())  # no live news
    log_in(page, widget)
    page.get_by_role("button", name="All", exact=True).click()
    expect(items(page)).to_have_count(1)
    widget.client.post(f"/api/v1/moderation/comments/{comment['id']}", json={"action": "spam"},
                       headers=bob)  # fmt: skip

    item_of(page, comment["id"]).get_by_role("button", name="Approve").click()

    expect(page.get_by_role("alert")).to_have_text(
        "bob decided this comment meanwhile: it is spam now."
    )
    expect(item_of(page, comment["id"]).locator(".state")).to_have_text("Spam")
    assert status_of(widget, comment["id"]) == "spam"


def test_delete_can_be_undone_for_a_few_seconds(page: Any, widget: Widget) -> None:
    url = widget.article()
    comment = widget.published(url, name="Ada", body="Delete me, maybe")
    log_in(page, widget)
    page.get_by_role("button", name="Published", exact=True).click()

    item_of(page, comment["id"]).get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Undo: keep the comment by Ada").click()
    expect(page.get_by_role("status")).to_have_text("Kept: the comment by Ada.")
    expect(item_of(page, comment["id"])).to_be_visible()
    assert public_bodies(widget, url) == ["<p>Delete me, maybe</p>"]

    item_of(page, comment["id"]).get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text("Deleted: the comment by Ada.", timeout=15_000)
    assert public_bodies(widget, url) == []
    history = widget.client.get(
        f"/api/v1/moderation/comments/{comment['id']}/history", headers=widget.auth
    )
    assert history.status_code == 404


def test_readable_errors_for_a_network_down_and_a_revoked_token(page: Any, widget: Widget) -> None:
    url = widget.article()
    widget.post(url, name="Ada", body="Hello")
    log_in(page, widget)
    expect(items(page)).to_have_count(1)
    page.route("**/api/v1/moderation/comments/*", lambda route: route.abort())
    approve = page.get_by_role("button", name="Approve: the comment by Ada")
    approve.click()
    expect(page.get_by_role("alert")).to_have_text(
        "The service cannot be reached. Check the connection, then try again: nothing was changed."
    )
    page.unroute("**/api/v1/moderation/comments/*")
    with widget.client.application.extensions["commentsvc"].database.sessions() as session:
        remove_moderator(session, "alice")

    approve.click()

    expect(page.get_by_role("status")).to_have_text(
        "Your token is no longer accepted (it was removed or replaced). Log in again."
    )
    expect(page.get_by_label("Moderator token")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def test_hostile_names_bodies_websites_and_articles_never_run(page: Any, widget: Widget) -> None:
    article = widget.article('/a"><img src=x onerror="window.__pwned=3">')
    parent = widget.published(article, name=HOSTILE, body=HOSTILE + " [x](javascript:alert(1))")
    reply = widget.post(article, name=HOSTILE, email="evil@example.com", body=HOSTILE,
                        parent_id=parent["id"])  # fmt: skip
    # A website that is not http(s) is refused when posted; one that came in another
    # way (an old import) is still shown as text only.
    refused = widget.client.post("/api/v1/comments", json={
        "url": article, "name": "X", "email": "x@example.com", "body": "x",
        "website": "javascript:window.__pwned=5"})  # fmt: skip
    assert refused.status_code == 422
    with widget.client.application.extensions["commentsvc"].database.sessions() as session:
        stored = session.get(Comment, reply["id"])
        assert stored is not None
        stored.author_website = "javascript:window.__pwned=5"
        session.commit()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: errors.append("dialog " + dialog.message))

    log_in(page, widget)
    page.get_by_role("button", name="All", exact=True).click()
    expect(items(page)).to_have_count(2)
    for locator in (".name", ".parent-text", ".body"):
        expect(page.locator(f"#comments {locator}").first).to_contain_text("<img src=x")
    page.locator("#comments .raw summary").first.click()

    assert page.evaluate("window.__pwned") is None
    assert page.locator("#comments img, #comments script, #comments iframe").count() == 0
    hrefs = page.locator("#comments a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs and all(href.startswith(("http://", "https://")) for href in hrefs)
    assert errors == []


def test_the_page_is_served_only_with_its_security_headers(page: Any, widget: Widget) -> None:
    response = page.goto(f"{widget.service}/moderate")
    static = page.goto(f"{widget.service}/static/moderate.html")

    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert static.status == 404
    assert static.headers["x-content-type-options"] == "nosniff"


@pytest.mark.skipif(not AXE.exists(), reason="axe-core: npm ci --prefix tests/browser")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_in_light_and_dark(
    browser: Any, widget: Widget, scheme: str
) -> None:
    url = widget.article()
    parent = widget.published(url, name="Ada", website="https://ada.example.org", body="Hi")
    widget.post(url, name="Bob", body="Reply with a [link](https://example.org)",
                parent_id=parent["id"])  # fmt: skip
    widget.post(url, name="Spammy", body="Cheap pills http://a.example http://b.example "
                "http://c.example http://d.example")  # fmt: skip
    # The page's CSP would refuse axe's inline script, as it refuses every other.
    context = browser.new_context(color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    log_in(page, widget)
    expect(items(page)).to_have_count(2)
    page.keyboard.press("?")
    page.keyboard.press("j")
    items(page).first.get_by_role("button", name="History").click()
    page.keyboard.press("e")

    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => v.id + ' (' + v.impact + '): ' +
            v.nodes.map(n => n.target.join(' ')).join(', '));
    }""")
    context.close()

    assert result == []


def test_it_works_on_a_phone_sized_screen(browser: Any, widget: Widget) -> None:
    url = widget.article()
    widget.post(url, name="Ada", website="https://a-very-long-website-name.example.org/path/to/page",
                body="A long line " * 30)  # fmt: skip
    page = browser.new_page(viewport={"width": 360, "height": 740})
    log_in(page, widget)
    expect(items(page)).to_have_count(1)

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    approve = items(page).first.get_by_role("button", name="Approve")
    box = approve.bounding_box()
    approve.click()

    assert overflow <= 0
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    expect(page.get_by_role("status")).to_have_text("Approved: the comment by Ada.")
    page.close()


def test_screenshots_of_each_view(
    browser: Any, widget: Widget, screenshots: Callable[[Any, str], Path]
) -> None:
    one, two = widget.article("/2026/queues"), widget.article("/2026/caching")
    praise = "A clear write-up. The part about **queues** helped me."
    parent = widget.published(one, name="Ada Lovelace", email="ada@example.com",
                              website="https://ada.example.org", body=praise)  # fmt: skip
    widget.published(two, name="Ada Lovelace", email="ada@example.com", body="Thanks for this.")
    widget.post(one, name="Grace", email="grace@example.com", parent_id=parent["id"],
                body="Agreed! `XAUTOCLAIM` is underrated.")  # fmt: skip
    widget.post(two, name="Cheap Pills", email="pills@example.com",
                body="Buy now http://a.example http://b.example http://c.example "
                "http://d.example")  # fmt: skip
    spam = widget.post(one, name="Bot", email="bot@example.com", body="Visit my site")
    widget.decide(spam["id"], "spam")
    taken = []
    for scheme in ("light", "dark"):
        page = browser.new_page(color_scheme=scheme, viewport={"width": 1000, "height": 1100})
        log_in(page, widget)
        expect(items(page)).to_have_count(2)
        page.keyboard.press("j")
        taken.append(screenshots(page, f"waiting-{scheme}"))
        page.close()
    page = browser.new_page(viewport={"width": 1000, "height": 1100})
    log_in(page, widget)
    expect(items(page)).to_have_count(2)
    for view, name, shown in (("Published", "published", 2), ("Spam", "spam", 1)):
        page.get_by_role("button", name=view, exact=True).click()
        expect(page.get_by_role("heading", name=view)).to_be_visible()
        expect(items(page)).to_have_count(shown)
        taken.append(screenshots(page, name))
    page.get_by_role("button", name="All", exact=True).click()
    page.get_by_role("button", name="All comments from ada@example.com").first.click()
    expect(items(page)).to_have_count(2)
    taken.append(screenshots(page, "search-email"))
    items(page).first.get_by_role("button", name="History").click()
    items(page).first.focus()
    page.keyboard.press("e")
    taken.append(screenshots(page, "edit-history"))
    page.get_by_role("button", name="Keyboard shortcuts").click()
    taken.append(screenshots(page.locator("#keys"), "keys"))
    page.close()
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    log_in(phone, widget)
    expect(items(phone)).to_have_count(2)
    taken.append(screenshots(phone, "phone"))
    phone.close()

    assert all(path.stat().st_size > 10_000 for path in taken)
