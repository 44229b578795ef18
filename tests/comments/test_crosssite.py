"""Posts from pages of other websites: refused with COMMENTSVC_SITES, and never
an open redirect without it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ARTICLE, SITE, comment_payload

OTHER = "https://evil.example"


def stored(app: Any) -> int:
    from sqlalchemy import func, select

    from commentsvc.comments.models import Comment

    with app.extensions["commentsvc"].database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Comment)) or 0)


@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": OTHER},
        {"Origin": "null"},
        {"Origin": "not an origin"},
        {"Referer": f"{OTHER}/page?x=1"},
        {"Origin": OTHER, "Referer": f"{SITE}/2026/hello-world"},
        {"Origin": "https://blog.example.com.evil.example"},
        {"Origin": "http://blog.example.com"},
    ],
    ids=["origin", "null", "malformed", "referer", "origin-first", "suffix", "scheme"],
)
def test_a_post_from_another_website_is_403_and_stores_nothing(
    app: Any, client: Any, headers: dict[str, str], form: bool
) -> None:
    payload = comment_payload()
    response = (
        client.post("/api/v1/comments", data=payload, headers=headers)
        if form
        else client.post("/api/v1/comments", json=payload, headers=headers)
    )

    assert response.status_code == 403
    assert response.json["error"]["code"] == 403
    assert "another website" in response.json["error"]["message"]
    assert stored(app) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": SITE},
        {"Origin": "https://BLOG.example.com:443"},
        {"Referer": f"{SITE}/2026/hello-world#comments"},
    ],
    ids=["no-header", "origin", "origin-variant", "referer"],
)
def test_a_post_from_the_site_itself_or_from_no_page_is_taken(
    app: Any, client: Any, headers: dict[str, str]
) -> None:
    response = client.post("/api/v1/comments", json=comment_payload(), headers=headers)

    assert response.status_code == 202, response.json
    assert stored(app) == 1


def test_without_sites_a_form_from_elsewhere_gets_a_page_not_a_redirect(make_app: Any) -> None:
    app = make_app(sites=())
    client = app.test_client()
    article = 'https://victim.example/post?q="><script>alert(1)</script>'

    response = client.post(
        "/api/v1/comments", data=comment_payload(url=article), headers={"Origin": OTHER}
    )

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Location" not in response.headers
    page = response.get_data(as_text=True)
    assert "<script>" not in page
    assert (
        'href="https://victim.example/post?q=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E"' in page
    )
    assert "Back to the article" in page
    assert stored(app) == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "https://victim.example"}, {"Referer": "https://victim.example/post"}],
    ids=["no-header", "same-origin", "same-referer"],
)
def test_without_sites_a_form_from_the_article_site_is_sent_back(
    make_app: Any, headers: dict[str, str]
) -> None:
    client = make_app(sites=()).test_client()

    response = client.post(
        "/api/v1/comments",
        data=comment_payload(url="https://victim.example/post"),
        headers=headers,
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "https://victim.example/post"


def test_a_form_post_with_the_sites_origin_redirects_to_the_article(client: Any) -> None:
    response = client.post("/api/v1/comments", data=comment_payload(), headers={"Origin": SITE})

    assert response.status_code == 303
    assert response.headers["Location"] == ARTICLE
