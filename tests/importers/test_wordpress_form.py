"""POST /wp-comments-post.php: WordPress' own comment form, answered like the API."""

from __future__ import annotations

from typing import Any

from tests.conftest import ARTICLE, SITE

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def wordpress_form(**changes: Any) -> dict[str, Any]:
    """The fields a WordPress theme's comment form sends."""
    fields = {
        "comment": "Moved from WordPress, and still here.",
        "author": "Ada Lovelace",
        "email": "ada@example.com",
        "url": "https://ada.example.org",
        "submit": "Post Comment",
        "comment_post_ID": "42",
        "comment_parent": "0",
        "akismet_comment_nonce": "0f1e2d3c4b",
        "ak_js": "1712345678901",
    }
    fields.update(changes)
    return {key: value for key, value in fields.items() if value is not None}


def queued(client: Any, auth: dict[str, str]) -> list[dict[str, Any]]:
    comments: list[dict[str, Any]] = client.get("/api/v1/moderation/queue", headers=auth).json[
        "comments"
    ]
    return comments


def test_the_form_of_a_wordpress_theme_posts_a_comment_and_goes_back_to_the_article(
    client: Any, auth: dict[str, str]
) -> None:
    response = client.post("/wp-comments-post.php", data=wordpress_form(),
                           headers={**BROWSER, "Referer": ARTICLE})  # fmt: skip

    assert response.status_code == 303
    assert response.headers["Location"] == ARTICLE
    [comment] = queued(client, auth)
    assert comment["url"] == ARTICLE
    assert comment["author"] == {"name": "Ada Lovelace", "website": "https://ada.example.org"}
    assert comment["email"] == "ada@example.com"
    assert comment["html"] == "<p>Moved from WordPress, and still here.</p>"
    assert comment["parent_id"] is None


def test_redirect_to_names_the_article_and_comment_parent_a_reply(
    client: Any, auth: dict[str, str], post_comment: Any, approve: Any
) -> None:
    article = f"{SITE}/2026/other-post/"
    parent = post_comment(url=article, body="parent").json["id"]
    approve(parent)

    response = client.post(
        "/wp-comments-post.php",
        data=wordpress_form(redirect_to=article, comment_parent=str(parent), url=""),
        headers={**BROWSER, "Referer": f"{SITE}/"},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == article
    [reply] = queued(client, auth)
    assert (reply["url"], reply["parent_id"]) == (article, parent)
    assert reply["author"]["website"] is None


def test_bad_fields_get_a_page_a_reader_understands_with_a_link_back(client: Any) -> None:
    response = client.post(
        "/wp-comments-post.php",
        data=wordpress_form(comment="", author="", email="not-an-address"),
        headers={**BROWSER, "Referer": ARTICLE},
    )

    assert response.status_code == 422
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Your comment was not posted" in page
    assert "Please write a comment." in page
    assert "Please enter your name." in page
    assert "Please enter a valid email address." in page
    assert f'<a href="{ARTICLE}">Back to the article</a>' in page
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"


def test_the_page_escapes_what_it_repeats(client: Any) -> None:
    hostile = f'{SITE}/a?x="><script>alert(1)</script>'

    response = client.post("/wp-comments-post.php", data=wordpress_form(comment=""),
                           headers={**BROWSER, "Referer": hostile})  # fmt: skip

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<script>" not in page
    assert f'<a href="{SITE}/a?x=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E">' in page


def test_a_client_asking_for_json_gets_the_envelope_with_wordpress_field_names(
    client: Any,
) -> None:
    response = client.post(
        "/wp-comments-post.php",
        data=wordpress_form(comment="", author=None),
        headers={"Accept": "application/json", "Referer": ARTICLE},
    )

    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"comment", "author"}


def test_an_article_on_another_site_is_refused(client: Any) -> None:
    elsewhere = {**BROWSER, "Referer": "https://elsewhere.example/post"}
    response = client.post("/wp-comments-post.php", data=wordpress_form(), headers=elsewhere)
    # The form on one of the sites, the article on another.
    sent_elsewhere = client.post(
        "/wp-comments-post.php",
        data={**wordpress_form(), "redirect_to": "https://elsewhere.example/post"},
        headers={**BROWSER, "Referer": ARTICLE},
    )

    assert response.status_code == 403
    assert "this request came from another website" in response.get_data(as_text=True)
    assert sent_elsewhere.status_code == 403
    assert "The article must be on the site the form was posted from." in (
        sent_elsewhere.get_data(as_text=True)
    )


def test_without_redirect_to_or_referer_the_article_is_unknown(client: Any) -> None:
    response = client.post("/wp-comments-post.php", data=wordpress_form(),
                           headers={"Accept": "application/json"})  # fmt: skip

    assert response.status_code == 400
    assert "redirect_to" in response.json["error"]["message"]


def test_it_shares_the_api_rate_limit(make_app: Any) -> None:
    client = make_app(post_rate_limit="2/minute").test_client()
    payload = {"url": ARTICLE, "name": "A", "email": "a@example.com", "body": "one"}
    assert client.post("/api/v1/comments", json=payload).status_code == 202
    assert client.post("/api/v1/comments", json={**payload, "body": "two"}).status_code == 202

    response = client.post("/wp-comments-post.php", data=wordpress_form(),
                           headers={**BROWSER, "Referer": ARTICLE})  # fmt: skip

    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert "posting too fast" in response.get_data(as_text=True)


def test_without_configured_sites_it_never_redirects_to_another_site(make_app: Any) -> None:
    client = make_app(sites=()).test_client()

    response = client.post(
        "/wp-comments-post.php",
        data=wordpress_form(redirect_to="https://phishing.example/login"),
        headers={**BROWSER, "Referer": ARTICLE},
    )

    assert response.status_code == 403
    assert "Location" not in response.headers


def test_the_form_address_is_in_the_openapi_document(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json

    form = document["paths"]["/wp-comments-post.php"]["post"]
    assert set(form["responses"]) == {"303", "400", "403", "413", "422", "429"}
    fields = document["components"]["schemas"]["WordPressCommentForm"]
    assert set(fields["required"]) == {"comment", "author", "email"}
    assert {"url", "comment_parent", "redirect_to"} <= set(fields["properties"])


def test_the_parameters_wordpress_adds_to_the_page_are_not_part_of_the_article(
    client: Any, auth: dict[str, str]
) -> None:
    """A theme's reply link opens the article as ?replytocom=ID#respond."""
    response = client.post(
        "/wp-comments-post.php",
        data=wordpress_form(),
        headers={**BROWSER, "Referer": f"{ARTICLE}?replytocom=3&unapproved=2#respond"},
    )

    assert response.headers["Location"] == ARTICLE
    assert [c["url"] for c in queued(client, auth)] == [ARTICLE]
