"""Pages that are not the widget's friends: themes whose CSS reaches into the
container, and other websites trying to post in a reader's name."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import ArticleSite, Widget, article_html

THEME_CSS = """<style>
#comments div { display: none; }
section * { color: red; font-size: 40px; }
form { display: none; }
</style>"""

PROBES = """els => els.map(e => { const s = getComputedStyle(e);
  return [s.color, s.fontSize, s.display]; })"""


def test_the_widget_survives_theme_css_aimed_at_the_container(page: Any, widget: Widget) -> None:
    url = widget.article()
    widget.published(url, name="Ada", body="Still here?")
    themed = article_html(widget.service, head=f'<link rel="canonical" href="{url}">' + THEME_CSS)
    themed = themed.replace("<main>", "<main><section>").replace("</main>", "</section></main>")
    probes = ".commentsvc-count, .commentsvc-body p, label, textarea"

    page.goto(url)
    expect(page.get_by_text("Still here?")).to_be_visible()
    clean = page.locator(probes).evaluate_all(PROBES)
    page.goto(widget.site.add("/themed", themed))

    expect(page.get_by_text("Still here?")).to_be_visible()
    expect(page.get_by_role("button", name="Post Comment")).to_be_visible()
    expect(page.get_by_role("textbox", name="Comment", exact=True)).to_be_visible()
    assert page.locator(probes).evaluate_all(PROBES) == clean
    assert page.locator(".commentsvc-host").evaluate("e => getComputedStyle(e).color") != (
        "rgb(255, 0, 0)"
    )


def stored(widget: Widget) -> list[str]:
    answer = widget.client.get("/api/v1/moderation/comments", headers=widget.auth)
    if answer.status_code == 404:  # before the listing endpoint: the queue
        answer = widget.client.get("/api/v1/moderation/queue", headers=widget.auth)
    return [comment["body"] for comment in answer.json["comments"]]


def attack_page(service: str, article: str) -> str:
    fields = {"url": article, "name": "Mallory", "email": "m@example.com"}
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Win a prize</title></head>
<body>
<form id="attack" method="post" action="{service}/api/v1/comments">
  {"".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())}
  <input type="hidden" name="body" value="posted by a form of another website">
</form>
<button id="claim">Claim your prize</button>
<script>
  const fields = {json.dumps(fields)};
  const form = new URLSearchParams({{...fields, body: "posted by fetch no-cors, form body"}});
  const asJson = JSON.stringify({{...fields, body: "posted by fetch no-cors, JSON body"}});
  document.getElementById("claim").addEventListener("click", () => Promise.all([
    fetch("{service}/api/v1/comments", {{method: "POST", mode: "no-cors", body: form}}),
    fetch("{service}/api/v1/comments", {{method: "POST", mode: "no-cors", body: asJson,
      headers: {{"Content-Type": "application/json"}}}}),
    fetch("{service}/api/v1/comments", {{method: "POST", mode: "no-cors", body: form,
      referrerPolicy: "no-referrer"}}),
  ]).then(() => document.getElementById("attack").submit()));
</script>
</body></html>"""


def test_another_website_cannot_post_through_a_readers_browser(
    page: Any, widget: Widget, foreign_site: ArticleSite
) -> None:
    article = widget.article()
    attack = foreign_site.add("/prize", attack_page(widget.service, article))
    # The same page on the article's own site does post: the attack is a real one.
    control = widget.site.add("/prize", attack_page(widget.service, article))

    # One click on a page of another website: three fetches, then its form.
    page.goto(attack)
    with page.expect_navigation(url=f"{widget.service}/api/v1/comments") as sent:
        page.get_by_role("button", name="Claim your prize").click()
    refused = sent.value
    forged = stored(widget)
    page.goto(control)
    with page.expect_navigation(url=article):
        page.get_by_role("button", name="Claim your prize").click()
    taken = stored(widget)

    assert refused.status == 403
    assert forged == []
    assert "posted by a form of another website" in taken
    assert "posted by fetch no-cors, form body" in taken
