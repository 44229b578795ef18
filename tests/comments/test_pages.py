"""Comments beyond the widget: the HTML fragment of a thread and the Atom feeds."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import feedparser

from tests.conftest import ARTICLE, SITE

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


class Elements(HTMLParser):
    """Every start tag with its attributes, and all text, of an HTML answer."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def fragment(client: Any, url: str = ARTICLE, **headers: str) -> Any:
    return client.get("/api/v1/comments.html", query_string={"url": url}, headers=headers)


def test_the_fragment_holds_the_approved_thread_threaded_and_nothing_else(
    client: Any, post_comment: Any, approve: Any
) -> None:
    top = post_comment(body="The *top* comment").json["id"]
    approve(top)
    reply = post_comment(body="A reply", parent_id=top, email="bob@example.com").json["id"]
    approve(reply)
    post_comment(body="Still waiting")

    answer = fragment(client)

    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    page = Elements(html)
    ids = [attrs.get("id") for tag, attrs in page.tags if tag == "li"]
    assert ids == [f"comment-{top}", f"comment-{reply}"]
    assert "<em>top</em>" in html
    assert '<ol class="commentsvc-replies"><li class="commentsvc-comment" id="comment-' in html
    assert "2 Comments" in page.text
    assert "Still waiting" not in html
    assert "ada@example.com" not in html and "127.0.0.1" not in html
    assert ("section", {"class": "commentsvc-thread", "data-commentsvc-thread": ARTICLE}) in (
        page.tags
    )


def test_hostile_names_and_websites_are_text_in_the_fragment(
    client: Any, post_comment: Any, approve: Any
) -> None:
    approve(post_comment(name=HOSTILE[:90], website='https://x.example/"><script>').json["id"])

    html = fragment(client).get_data(as_text=True)

    tags = [tag for tag, _attrs in Elements(html).tags]
    assert "img" not in tags and "script" not in tags
    assert "&lt;img src=x onerror=" in html


def test_the_fragment_is_revalidated_with_its_etag_and_changes_with_a_decision(
    client: Any, post_comment: Any, approve: Any
) -> None:
    first = fragment(client)
    assert "No comments yet" in first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "public, no-cache"

    assert fragment(client, **{"If-None-Match": first.headers["ETag"]}).status_code == 304
    approve(post_comment().json["id"])
    after = fragment(client, **{"If-None-Match": first.headers["ETag"]})

    assert after.status_code == 200
    assert "1 Comment" in after.get_data(as_text=True)


def test_the_fragment_without_an_article_is_a_422_envelope(client: Any) -> None:
    answer = client.get("/api/v1/comments.html")

    assert answer.status_code == 422
    assert answer.json["error"]["fields"] == {"url": ["Give the article address as url."]}


def test_the_article_feed_is_valid_atom_with_the_approved_comments_newest_first(
    client: Any, post_comment: Any, approve: Any
) -> None:
    older = post_comment(body="Older", name="Ada").json["id"]
    newer = post_comment(body="Newer <b>bold</b>", name="Bob", email="bob@example.com").json["id"]
    approve(older)
    approve(newer)
    post_comment(body="Pending, never in the feed")

    answer = client.get("/feeds/comments.atom", query_string={"url": ARTICLE})

    assert answer.status_code == 200
    assert answer.mimetype == "application/atom+xml"
    feed = feedparser.parse(answer.data)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert [entry.id for entry in feed.entries] == [
        f"{ARTICLE}#comment-{newer}",
        f"{ARTICLE}#comment-{older}",
    ]
    assert feed.entries[0].author == "Bob"
    assert feed.entries[0].content[0].value == "<p>Newer &lt;b&gt;bold&lt;/b&gt;</p>"
    assert feed.entries[0].link == f"{ARTICLE}#comment-{newer}"
    assert "Pending" not in answer.get_data(as_text=True)
    assert "ada@example.com" not in answer.get_data(as_text=True)


def test_an_unpublished_comment_leaves_the_feed(
    client: Any, post_comment: Any, approve: Any
) -> None:
    comment = post_comment().json["id"]
    approve(comment)
    approve(comment, "reject")

    feed = feedparser.parse(client.get("/feeds/comments.atom", query_string={"url": ARTICLE}).data)

    assert feed.entries == []
    assert not feed.bozo


def test_the_site_feed_has_every_article_of_the_site_and_no_other_site(
    make_app: Any, post_comment: Any
) -> None:
    other_site = "https://blog.example.com.evil.test"
    app = make_app(sites=(SITE, other_site))
    client = app.test_client()
    from commentsvc.moderation.services import add_moderator

    with app.extensions["commentsvc"].database.sessions() as session:
        auth = {"Authorization": f"Bearer {add_moderator(session, 'feeds')}"}
    posted = []
    for url in (f"{SITE}/a", f"{SITE}/b", f"{other_site}/c"):
        answer = client.post(
            "/api/v1/comments",
            json={"url": url, "name": "Ada", "email": "ada@example.com", "body": f"On {url}"},
        )
        client.post(f"/api/v1/moderation/comments/{answer.json['id']}",
                    json={"action": "approve"}, headers=auth)  # fmt: skip
        posted.append(answer.json["id"])

    answer = client.get("/feeds/site.atom", query_string={"site": SITE})

    feed = feedparser.parse(answer.data)
    assert not feed.bozo
    assert [entry.link for entry in feed.entries] == [
        f"{SITE}/b#comment-{posted[1]}",
        f"{SITE}/a#comment-{posted[0]}",
    ]
    assert client.get("/feeds/site.atom", query_string={"site": "https://unknown.example"}
                      ).status_code == 404  # fmt: skip
    assert client.get("/feeds/site.atom", query_string={"site": "not a site"}).status_code == 422
