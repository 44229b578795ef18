"""The embed as a reader meets it, in Chromium, on an article of another origin."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AXE, Widget

# The screenshots go to the test's own folder; scripts/update_screenshots.sh sets
# this to docs/ to refresh the README's pictures.
SCREENSHOT_DIR = "SCREENSHOT_DIR"


def comments(page: Any) -> Any:
    return page.locator(".commentsvc-list .commentsvc-comment")


def test_it_renders_the_approved_comments_threaded(page: Any, widget: Widget) -> None:
    url = widget.article()
    parent = widget.published(
        url, name="Ada", website="https://ada.example.org", body="First *one*"
    )
    widget.published(url, name="Bob", body="A reply", parent_id=parent["id"])
    widget.post(url, name="Pending Pete", body="not yet")

    page.goto(url)

    expect(page.get_by_role("heading", name="2 Comments")).to_be_visible()
    expect(comments(page)).to_have_count(2)
    ada = page.get_by_role("link", name="Ada")
    expect(ada).to_have_attribute("href", "https://ada.example.org")
    expect(ada).to_have_attribute("rel", "nofollow ugc noopener")
    expect(page.locator(".commentsvc-body em")).to_have_text("one")
    reply = page.locator(f"#comment-{parent['id']} .commentsvc-replies .commentsvc-comment")
    expect(reply).to_contain_text("A reply")
    expect(page.get_by_text("Pending Pete")).to_have_count(0)
    expect(page.locator("time").first).to_have_text("now")
    assert page.locator(".commentsvc-avatar").first.text_content() == "A"


def test_the_form_is_the_familiar_one(page: Any, widget: Widget) -> None:
    page.goto(widget.article())

    for label in ("Comment", "Name", "Email", "Website"):
        expect(page.get_by_role("textbox", name=label, exact=True)).to_be_visible()
    for required in ("Comment *", "Name *", "Email *"):
        expect(page.locator("label", has_text=required)).to_have_count(1)
    expect(
        page.get_by_text("Your email address will not be published. Required fields are marked *")
    ).to_be_visible()
    expect(
        page.get_by_label(
            "Save my name, email, and website in this browser for the next time I comment."
        )
    ).not_to_be_checked()
    # The honeypot takes no room, is out of the tab order and hidden from screen readers.
    trap = page.locator("input[name=homepage]")
    box = trap.bounding_box()
    assert box is not None and box["width"] * box["height"] <= 1
    expect(trap).to_have_attribute("tabindex", "-1")
    expect(page.locator(".commentsvc-trap")).to_have_attribute("aria-hidden", "true")
    names = page.locator("form input, form textarea").evaluate_all("els => els.map(e => e.name)")
    assert set(names) >= {"name", "email", "website", "body"}


def test_an_empty_submit_shows_every_error_by_its_field(page: Any, widget: Widget) -> None:
    page.goto(widget.article())

    page.get_by_role("button", name="Post Comment").click()

    expect(page.locator("#commentsvc-body-error")).to_have_text("Please write a comment.")
    expect(page.locator("#commentsvc-name-error")).to_have_text("Please enter your name.")
    expect(page.locator("#commentsvc-email-error")).to_contain_text(
        "Please enter your email address"
    )
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_be_focused()
    expect(page.get_by_role("textbox", name="Name", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )


def test_the_servers_message_for_a_bad_email_shows_by_the_email_field(
    page: Any, widget: Widget
) -> None:
    page.goto(widget.article())

    page.get_by_role("textbox", name="Comment", exact=True).fill("Nice article")
    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    page.get_by_role("textbox", name="Email", exact=True).fill(
        "ada@example"
    )  # passes the shape check, not the server's
    page.get_by_role("button", name="Post Comment").click()

    expect(page.locator("#commentsvc-email-error")).to_contain_text(
        "The part after the @-sign is not valid"
    )
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_have_value("Nice article")


def post_through_the_form(page: Any, body: str, name: str = "Ada", remember: bool = False) -> None:
    page.get_by_role("textbox", name="Comment", exact=True).fill(body)
    page.get_by_role("textbox", name="Name", exact=True).fill(name)
    page.get_by_role("textbox", name="Email", exact=True).fill("ada@example.com")
    page.get_by_role("textbox", name="Website", exact=True).fill("https://ada.example.org")
    if remember:
        page.get_by_label("Save my name").check()
    page.get_by_role("button", name="Post Comment").click()
    expect(page.get_by_role("status")).to_have_text("Your comment is awaiting moderation.")


def test_a_posted_comment_waits_for_moderation_then_appears_for_everyone(
    page: Any, browser: Any, widget: Widget
) -> None:
    url = widget.article()
    page.goto(url)

    post_through_the_form(page, "My first comment")

    mine = comments(page).filter(has_text="My first comment")
    expect(mine.locator(".commentsvc-badge")).to_have_text("Awaiting moderation")
    page.reload()
    expect(mine.locator(".commentsvc-badge")).to_have_text("Awaiting moderation")
    other_reader = browser.new_page()
    other_reader.goto(url)
    expect(other_reader.get_by_role("heading", name="No comments yet")).to_be_visible()

    queued = widget.client.get("/api/v1/moderation/queue", headers=widget.auth).json["comments"]
    widget.decide(queued[0]["id"])
    other_reader.reload()
    page.reload()

    expect(other_reader.get_by_role("heading", name="1 Comment")).to_be_visible()
    expect(comments(other_reader)).to_contain_text(["My first comment"])
    expect(page.locator(".commentsvc-badge")).to_have_count(0)
    expect(comments(page)).to_have_count(1)
    other_reader.close()


def test_replies_nest_under_their_parent(page: Any, widget: Widget) -> None:
    url = widget.article()
    parent = widget.published(url, name="Bob", body="Parent comment")
    page.goto(url)

    page.get_by_role("button", name="Reply to Bob").click()
    expect(page.get_by_text("Replying to Bob")).to_be_visible()
    post_through_the_form(page, "My reply")
    queued = widget.client.get("/api/v1/moderation/queue", headers=widget.auth).json["comments"]
    assert queued[0]["parent_id"] == parent["id"]
    widget.decide(queued[0]["id"])
    page.reload()

    nested = page.locator(f"#comment-{parent['id']} .commentsvc-replies")
    expect(nested).to_contain_text("My reply")


def test_remember_me_refills_the_form_only_when_ticked(page: Any, widget: Widget) -> None:
    url = widget.article()
    page.goto(url)
    post_through_the_form(page, "Forget me")
    page.reload()
    expect(page.get_by_role("textbox", name="Name", exact=True)).to_have_value("")

    post_through_the_form(page, "Remember me", name="Ada L.", remember=True)
    page.reload()

    expect(page.get_by_role("textbox", name="Name", exact=True)).to_have_value("Ada L.")
    expect(page.get_by_role("textbox", name="Email", exact=True)).to_have_value("ada@example.com")
    expect(page.get_by_role("textbox", name="Website", exact=True)).to_have_value(
        "https://ada.example.org"
    )
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_have_value("")


def test_too_fast_and_offline_keep_what_the_reader_typed(
    page: Any, widget: Widget, make_app: Any
) -> None:
    page.goto(widget.article())
    page.route(
        "**/api/v1/comments",
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )

    page.get_by_role("textbox", name="Comment", exact=True).fill("Typed with care")
    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    page.get_by_role("textbox", name="Email", exact=True).fill("ada@example.com")
    page.get_by_role("button", name="Post Comment").click()

    expect(page.get_by_role("alert")).to_contain_text("Could not reach the comment service")
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_have_value("Typed with care")
    page.unroute("**/api/v1/comments")
    page.route(
        "**/api/v1/comments",
        lambda route: (
            route.fulfill(
                status=429,
                content_type="application/json",
                body=TOO_FAST,
            )
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    page.get_by_role("button", name="Post Comment").click()
    expect(page.get_by_role("alert")).to_have_text(
        "You are posting too fast. Please wait a moment and try again."
    )
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_have_value("Typed with care")


TOO_FAST = (
    '{"error": {"code": 429, '
    '"message": "You are posting too fast. Please wait a moment and try again."}}'
)

HOSTILE_CSS = """<style>
* { color: red !important; font-family: cursive !important; font-size: 40px !important;
    background: yellow !important; border: 5px dotted lime !important; }
button, input, label, h2, p, li { display: inline !important; all: unset; }
</style>"""

PROBES = """els => els.map(e => { const s = getComputedStyle(e);
  return [s.color, s.fontFamily, s.fontSize, s.backgroundColor, s.borderTopStyle, s.display]; })"""


def test_hostile_host_css_changes_nothing_inside(page: Any, widget: Widget) -> None:
    url = widget.article()
    widget.published(url, name="Ada", body="Styled?")
    # The same article (canonical link), on a page with hostile styles.
    hostile = widget.article("/hostile", head=f'<link rel="canonical" href="{url}">' + HOSTILE_CSS)
    probes = (
        ".commentsvc-count, .commentsvc-name, .commentsvc-body p, .commentsvc-submit, "
        "label, textarea"
    )

    page.goto(url)
    expect(comments(page)).to_have_count(1)
    clean = page.locator(probes).evaluate_all(PROBES)
    page.goto(hostile)
    expect(comments(page)).to_have_count(1)
    attacked = page.locator(probes).evaluate_all(PROBES)

    assert len(clean) > 5
    assert attacked == clean


def test_untrusted_text_never_runs(page: Any, widget: Widget) -> None:
    url = widget.article()
    attack = (
        '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
        '"><svg onload=alert(1)>'
    )
    widget.published(
        url,
        name=attack,
        body=attack,
        website='https://x.example/"><script>window.__pwned=3</script>',
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(url)

    expect(comments(page)).to_have_count(1)
    expect(page.locator(".commentsvc-name")).to_have_text(attack)
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".commentsvc img, .commentsvc script, .commentsvc svg").count() == 0
    assert dialogs == []


def test_it_adds_no_globals_to_the_page(page: Any, widget: Widget) -> None:
    bare = widget.site.add("/bare", "<!doctype html><title>bare</title><div id='comments'></div>")
    page.goto(bare)
    before = set(page.evaluate("Object.keys(window)"))

    page.goto(widget.article())
    expect(page.get_by_role("heading", name="No comments yet")).to_be_visible()

    assert set(page.evaluate("Object.keys(window)")) - before == set()


def test_options_come_from_the_scripts_data_attributes(page: Any, widget: Widget) -> None:
    widget.site.add(
        "/custom",
        f"""<!doctype html><title>x</title>
<link rel="canonical" href="{widget.site.origin}/canonical-article">
<aside id="talk"></aside><div id="comments"></div>
<script src="{widget.service}/embed.js" data-target="#talk" data-theme="dark" async></script>""",
    )
    widget.published(f"{widget.site.origin}/canonical-article", body="Found by the canonical link")

    page.goto(widget.site.origin + "/custom?utm_source=x#frag")

    expect(page.locator("#talk .commentsvc-comment")).to_contain_text("Found by the canonical link")
    expect(page.locator("#talk .commentsvc")).to_have_attribute("data-theme", "dark")
    assert page.locator("#comments").inner_html() == ""


def test_the_script_is_served_small_cached_and_compressed(widget: Widget) -> None:
    first = widget.client.get("/embed.js", headers={"Accept-Encoding": "gzip"})
    again = widget.client.get("/embed.js", headers={"If-None-Match": first.headers["ETag"]})
    css = widget.client.get("/embed.css", headers={"Accept-Encoding": "gzip"})

    assert first.status_code == 200
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.headers["Content-Type"].startswith("text/javascript")
    assert "max-age=" in first.headers["Cache-Control"]
    assert again.status_code == 304
    assert len(first.data) + len(css.data) < 8 * 1024


@pytest.mark.skipif(not AXE.exists(), reason="axe-core: npm ci --prefix tests/browser")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_or_critical_violation(
    browser: Any, widget: Widget, scheme: str
) -> None:
    url = widget.article()
    parent = widget.published(
        url, name="Ada", website="https://ada.example.org", body="Hello **there**"
    )
    widget.published(url, name="Bob", body="> quoted\n\nreply", parent_id=parent["id"])
    page = browser.new_page(color_scheme=scheme)
    page.goto(url)
    expect(comments(page)).to_have_count(2)
    page.get_by_role("button", name="Post Comment").click()  # the error state too
    expect(page.locator("#commentsvc-name-error")).not_to_be_empty()

    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
    }""")
    page.close()

    assert result == []


def test_it_is_usable_with_the_keyboard_alone(page: Any, widget: Widget) -> None:
    url = widget.article()
    widget.published(url, name="Bob", body="Parent")
    page.goto(url)
    expect(comments(page)).to_have_count(1)

    page.locator("body").focus()
    page.keyboard.press("Tab")  # the reply button of Bob's comment
    expect(page.get_by_role("button", name="Reply to Bob")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_be_focused()
    page.keyboard.type("Typed reply")
    for value in ("Ada", "ada@example.com", "https://ada.example.org"):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    page.keyboard.press("Tab")  # remember me
    page.keyboard.press("Tab")  # notify me of replies
    page.keyboard.press("Tab")  # post
    expect(page.get_by_role("button", name="Post Comment")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text("Your comment is awaiting moderation.")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot_for_the_readme(
    browser: Any, widget: Widget, scheme: str, tmp_path: Path
) -> None:
    url = widget.article()
    parent = widget.published(
        url,
        name="Ada Lovelace",
        website="https://ada.example.org",
        body="A clear write-up. The part about **queues** helped me a lot.",
    )
    widget.published(
        url, name="Grace", body="Agreed! `XAUTOCLAIM` is underrated.", parent_id=parent["id"]
    )
    page = browser.new_page(color_scheme=scheme, viewport={"width": 760, "height": 900})
    page.goto(url)
    expect(comments(page)).to_have_count(2)

    folder = Path(os.environ.get(SCREENSHOT_DIR) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.locator("#comments").screenshot(path=str(folder / f"embed-{scheme}.png"))
    page.close()

    assert (folder / f"embed-{scheme}.png").stat().st_size > 10_000


def strict_csp(service: str) -> str:
    """The README's recipe: the page allows only itself and the comment service."""
    return (
        f"default-src 'self'; script-src 'self' {service}; style-src 'self' {service}; "
        f"connect-src 'self' {service}; img-src 'self' data:; object-src 'none'; base-uri 'none'"
    )


def test_it_works_on_a_strict_csp_page_without_a_violation(page: Any, widget: Widget) -> None:
    url = widget.article()
    widget.published(url, name="Ada", body="Under a strict policy")
    strict = widget.article(
        "/strict",
        head=f'<link rel="canonical" href="{url}">',
        headers={"Content-Security-Policy": strict_csp(widget.service)},
    )
    # Installed before any page script, outside the page's CSP.
    page.add_init_script(
        "window.addEventListener('securitypolicyviolation', e => "
        "document.documentElement.dataset.cspViolations = "
        "(document.documentElement.dataset.cspViolations || '') + e.violatedDirective + ' ');"
    )
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(strict)
    expect(comments(page)).to_have_count(1)
    post_through_the_form(page, "Posted under CSP")

    expect(comments(page).filter(has_text="Posted under CSP")).to_have_count(1)
    assert page.evaluate("document.documentElement.dataset.cspViolations") is None
    assert not [line for line in console if "Content Security Policy" in line]
    # The widget's own styles applied (a blocked stylesheet would leave defaults).
    submit = page.get_by_role("button", name="Post Comment")
    assert submit.evaluate("e => getComputedStyle(e).fontWeight") == "600"
