"""Comments beyond the widget, in Chromium: counts on a listing page, the
server-rendered thread for readers without JavaScript, and the widget taking it over."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AXE, Widget, article_html

DOCS = Path(__file__).parent.parent.parent / "docs"


def test_count_js_fills_a_listing_of_twenty_articles_with_one_request(
    page: Any, widget: Widget
) -> None:
    articles = [f"{widget.site.origin}/2026/article-{n}" for n in range(20)]
    for n, url in enumerate(articles[:3]):
        for _ in range(n + 1):
            widget.published(url, body=f"A comment on {url} #{_}")
    items = "".join(
        f'<li><a href="{url}">Article {n}</a> · <a href="{url}#comments">Comments</a></li>'
        if n % 2 else
        f'<li><a href="{url}">Article {n}</a> · <span data-commentsvc-count="{url}"></span></li>'
        for n, url in enumerate(articles)
    )  # fmt: skip
    listing = widget.site.add(
        "/", f'<!doctype html><html lang="en"><head><title>Blog</title></head><body>'
        f'<ol>{items}</ol><script src="{widget.service}/count.js" async></script></body></html>',
    )  # fmt: skip
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/api/v1/counts" in
            request.url else None)  # fmt: skip

    page.goto(listing)

    expect(page.locator(f'[data-commentsvc-count="{articles[0]}"]')).to_have_text("1 comment")
    expect(page.locator(f'a[href="{articles[1]}#comments"]')).to_have_text("2 comments")
    expect(page.locator(f'[data-commentsvc-count="{articles[2]}"]')).to_have_text("3 comments")
    expect(page.locator(f'a[href="{articles[19]}#comments"]')).to_have_text("0 comments")
    expect(page.locator(f'[data-commentsvc-count="{articles[4]}"]')).to_have_text("0 comments")
    assert len(asked) == 1
    assert asked[0].count("url=") == 20


def test_count_js_speaks_the_pages_language_with_its_plural_forms(
    page: Any, widget: Widget
) -> None:
    urls = [f"{widget.site.origin}/ru/{n}" for n in range(3)]
    for url, count in zip(urls, (1, 3, 5), strict=True):
        for n in range(count):
            widget.published(url, body=f"Комментарий {n}")
    spans = "".join(f'<p data-commentsvc-count="{url}"></p>' for url in urls)
    listing = widget.site.add(
        "/ru/", f'<!doctype html><html lang="ru"><head><title>Блог</title></head><body>{spans}'
        f'<script src="{widget.service}/count.js"></script></body></html>',
    )  # fmt: skip

    page.goto(listing)

    counts = page.locator("[data-commentsvc-count]")
    expect(counts).to_have_text(["1 комментарий", "3 комментария", "5 комментариев"])


def render_on_the_server(widget: Widget, url: str, path: str, *, with_widget: bool) -> None:
    fragment = urlopen(f"{widget.service}/api/v1/comments.html?url={url}").read().decode()
    script = f'<script src="{widget.service}/embed.js" async></script>' if with_widget else ""
    widget.site.add(
        path,
        f'<!doctype html><html lang="en"><head><title>Post</title></head>'
        f'<body><h1>Post</h1><div id="comments">{fragment}</div>{script}</body></html>',
    )


def test_readers_without_javascript_see_the_server_rendered_thread(
    browser: Any, widget: Widget
) -> None:
    url = widget.site.origin + "/no-js"
    first = widget.published(url, name="Ada", body="Seen *without* scripts")
    widget.published(url, name="Bob", body="A reply", parent_id=first["id"])
    render_on_the_server(widget, url, "/no-js", with_widget=False)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    page.goto(url)

    expect(page.get_by_role("heading", name="2 Comments")).to_be_visible()
    expect(page.locator(".commentsvc-body em")).to_have_text("without")
    expect(page.locator(f"#comment-{first['id']} .commentsvc-replies")).to_contain_text("A reply")
    context.close()


def test_the_widget_takes_over_the_server_rendered_thread(page: Any, widget: Widget) -> None:
    url = widget.site.origin + "/takeover"
    widget.published(url, name="Ada", body="Only once on the page")
    render_on_the_server(widget, url, "/takeover", with_widget=True)

    page.goto(url)

    expect(page.locator("section.commentsvc-thread")).to_have_count(0)
    expect(page.get_by_text("Only once on the page")).to_have_count(1)
    expect(page.get_by_role("heading", name="1 Comment")).to_be_visible()


def test_after_posting_the_heading_counts_the_readers_comment_awaiting_moderation(
    page: Any, widget: Widget
) -> None:
    page.goto(widget.article("/first-comment"))
    expect(page.get_by_role("heading", name="No comments yet")).to_be_visible()

    page.get_by_role("textbox", name="Comment", exact=True).fill("My first thought")
    page.get_by_role("textbox", name="Name", exact=True).fill("Grace")
    page.get_by_role("textbox", name="Email", exact=True).fill("grace@example.com")
    page.get_by_role("button", name="Post Comment").click()

    expect(page.get_by_role("heading", name="1 comment awaiting moderation")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="1 comment awaiting moderation")).to_be_visible()


def test_the_widget_speaks_the_pages_language(page: Any, widget: Widget) -> None:
    url = widget.article("/de", attributes=' data-lang="de"')
    widget.published(url, name="Ada", body="Guter Artikel")
    widget.published(url, name="Bob", body="Finde ich auch")

    page.goto(url)

    expect(page.get_by_role("heading", name="2 Kommentare")).to_be_visible()
    expect(page.get_by_role("button", name="Kommentar abschicken")).to_be_visible()
    page.get_by_role("textbox", name="Kommentar", exact=True).fill("Hallo")
    page.get_by_role("textbox", name="Name", exact=True).fill("Grete")
    page.get_by_role("textbox", name="E-Mail", exact=True).fill("grete@example")
    page.get_by_role("button", name="Kommentar abschicken").click()
    # The server's own check of the address, answered in the page's language.
    expect(page.locator("#commentsvc-email-error")).to_have_text(
        "Bitte gib eine gültige E-Mail-Adresse ein."
    )
    expect(page.locator(".commentsvc-form-error")).to_have_text(
        "Bitte korrigiere die markierten Felder: email."
    )


def test_arabic_is_laid_out_right_to_left_with_its_plural_forms(
    browser: Any, widget: Widget
) -> None:
    html = article_html(widget.service).replace('<html lang="en">', '<html lang="ar" dir="rtl">')
    url = widget.site.add("/ar", html)
    for n in range(3):
        widget.published(url, name=f"قارئ {n}", body="مقال رائع")
    page = browser.new_page()

    page.goto(url)

    section = page.locator(".commentsvc")
    expect(section).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name="3 تعليقات")).to_be_visible()
    box = page.locator(".commentsvc-comment article").first.bounding_box()
    name = page.locator(".commentsvc-name").first.bounding_box()
    assert box and name and name["x"] > box["x"] + box["width"] / 2  # starts on the right
    page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core: npm ci --prefix tests/browser")
@pytest.mark.parametrize("language", ["de", "ar"])
def test_axe_finds_no_serious_violation_in_another_language(
    browser: Any, widget: Widget, language: str, tmp_path: Path
) -> None:
    html = article_html(widget.service).replace('<html lang="en">', f'<html lang="{language}"')
    url = widget.site.add(f"/axe-{language}", html)
    parent = widget.published(url, name="Ada", body="**Hallo** / مرحبا")
    widget.published(url, name="Bob", body="> quoted\n\nreply", parent_id=parent["id"])
    page = browser.new_page(viewport={"width": 760, "height": 1000})
    page.goto(url)
    expect(page.locator(".commentsvc-list .commentsvc-comment")).to_have_count(2)
    page.locator(".commentsvc-submit").click()  # the error state too
    expect(page.locator("#commentsvc-name-error")).not_to_be_empty()

    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
    }""")
    shot = tmp_path / f"embed-{language}.png"
    page.locator("#comments").screenshot(path=str(shot))
    if os.environ.get("COMMENTSVC_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(shot, DOCS / shot.name)
    page.close()

    assert violations == []


def test_a_reader_edits_and_deletes_their_own_comment_within_the_window(
    page: Any, widget: Widget
) -> None:
    url = widget.article("/own")
    page.goto(url)
    page.get_by_role("textbox", name="Comment", exact=True).fill("Frist thought")
    page.get_by_role("textbox", name="Name", exact=True).fill("Grace")
    page.get_by_role("textbox", name="Email", exact=True).fill("grace@example.com")
    page.get_by_role("button", name="Post Comment").click()
    expect(page.get_by_role("status")).to_have_text("Your comment is awaiting moderation.")

    page.get_by_role("button", name="Edit").click()
    editor = page.locator(".commentsvc-editor textarea")
    expect(editor).to_have_value("Frist thought")
    editor.fill("First thought")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".commentsvc-pending .commentsvc-body")).to_have_text("First thought")

    # Published, the reader's next edit waits for moderation; the page keeps the text.
    comment_id = int(page.locator(".commentsvc-pending").get_attribute("id").split("-")[1])
    widget.decide(comment_id)
    page.reload()
    expect(page.get_by_role("heading", name="1 Comment")).to_be_visible()
    page.get_by_role("button", name="Edit").click()
    page.locator(".commentsvc-editor textarea").fill("Spam link https://spam.example")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Your edit is awaiting moderation.")
    expect(page.locator(".commentsvc-body")).to_have_text("First thought")

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text("Your comment was deleted.")
    expect(page.get_by_role("heading", name="No comments yet")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="No comments yet")).to_be_visible()


def test_other_readers_get_no_edit_buttons_and_the_window_closes(
    browser: Any, widget: Widget
) -> None:
    url = widget.article("/not-mine")
    widget.published(url, name="Ada", body="Someone else's")
    page = browser.new_page()
    page.goto(url)
    expect(page.get_by_text("Someone else's")).to_be_visible()
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    # The reader's own comment, with a token whose time is over: no buttons either.
    mine = widget.published(url, name="Grace", body="Mine, long ago")
    page.evaluate(
        "([id]) => localStorage.setItem('commentsvc:own', JSON.stringify("
        "{[id]: {t: 'x', u: '2020-01-01T00:00:00Z', b: 'Mine'}}))",
        [mine["id"]],
    )
    page.reload()
    expect(page.get_by_text("Mine, long ago")).to_be_visible()
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    page.close()
