"""A WordPress theme's comment form, with only its action changed, in Chromium."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Widget

# The markup WordPress' comment_form() prints, trimmed of its labels' wrappers.
THEME_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A post</title>
<meta name="referrer" content="no-referrer-when-downgrade"></head>
<body><article><h1>A post</h1><p>Worth discussing.</p></article>
<div id="respond" class="comment-respond"><h3 id="reply-title">Leave a Reply</h3>
<form action="{service}/wp-comments-post.php" method="post" id="commentform" class="comment-form">
<p class="comment-form-comment"><label for="comment">Comment</label>
<textarea id="comment" name="comment" cols="45" rows="8" required></textarea></p>
<p class="comment-form-author"><label for="author">Name</label>
<input id="author" name="author" type="text" required></p>
<p class="comment-form-email"><label for="email">Email</label>
<input id="email" name="email" type="email" required></p>
<p class="comment-form-url"><label for="url">Website</label>
<input id="url" name="url" type="url"></p>
<p class="form-submit"><input name="submit" type="submit" id="submit" value="Post Comment">
<input type="hidden" name="comment_post_ID" value="42" id="comment_post_ID">
<input type="hidden" name="comment_parent" id="comment_parent" value="0"></p>
<input type="hidden" id="akismet_comment_nonce" name="akismet_comment_nonce" value="5f0c">
</form></div></body></html>"""


def test_a_reader_posts_through_the_theme_form_and_lands_back_on_the_article(
    page: Any, widget: Widget
) -> None:
    article = widget.site.add("/2014/a-post/", THEME_FORM.format(service=widget.service))
    page.goto(article)

    page.get_by_label("Comment").fill("Posted from the old theme's form.")
    page.get_by_label("Name").fill("Grace")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_role("button", name="Post Comment").click()

    expect(page).to_have_url(article)
    queue = widget.client.get("/api/v1/moderation/queue", headers=widget.auth).json["comments"]
    assert [(c["url"], c["html"]) for c in queue] == [
        (article, "<p>Posted from the old theme's form.</p>")
    ]


def test_a_refused_comment_shows_its_reasons_and_the_way_back(page: Any, widget: Widget) -> None:
    article = widget.site.add("/2014/b-post/", THEME_FORM.format(service=widget.service))
    page.goto(article)
    page.evaluate("document.querySelectorAll('[required]').forEach(e => e.required = false)")

    page.get_by_label("Comment").fill("No name given")
    page.get_by_role("button", name="Post Comment").click()

    expect(page.get_by_role("heading", name="Your comment was not posted")).to_be_visible()
    expect(page.get_by_text("Please enter your name.")).to_be_visible()
    page.get_by_role("link", name="Back to the article").click()
    expect(page).to_have_url(article)
