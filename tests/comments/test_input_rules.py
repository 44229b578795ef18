"""Each input rule lives in one layer: the schema checks shape without the database,
the service checks what needs it (the site, the parent), and the limits, defined
once, are the same in the schemas, the OpenAPI document and the widget."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from marshmallow import ValidationError

from commentsvc.comments import limits
from commentsvc.comments.schemas import CommentCreateSchema
from commentsvc.comments.urls import InvalidURL, origin
from commentsvc.config import ConfigError, Settings
from tests.conftest import ARTICLE, SITE, comment_payload

EMBED = Path(__file__).parents[2] / "embed" / "embed.js"


def test_a_reply_to_a_bad_parent_with_a_bad_email_names_both_fields(
    post_comment: Any, approve: Any
) -> None:
    pending = post_comment().json["id"]
    on_other_article = post_comment(url=f"{SITE}/other").json["id"]
    approve(on_other_article)

    for parent in (999, pending, on_other_article):
        answer = post_comment(parent_id=parent, email="not-an-email", name=" ")

        assert answer.status_code == 422
        fields = answer.json["error"]["fields"]
        assert set(fields) == {"parent_id", "email", "name"}
        assert "published comment" in fields["parent_id"][0]


def test_a_reply_to_a_published_parent_with_a_bad_email_names_the_email_only(
    post_comment: Any, approve: Any
) -> None:
    parent = post_comment().json["id"]
    approve(parent)

    answer = post_comment(parent_id=parent, email="not-an-email")

    assert answer.status_code == 422
    assert set(answer.json["error"]["fields"]) == {"email"}


def test_the_schema_checks_shape_without_a_database() -> None:
    """No app, no database: a reply to any id has the right shape; the parent's
    existence is the service's to check."""
    schema = CommentCreateSchema()

    loaded = schema.load(comment_payload(parent_id=999))
    with pytest.raises(ValidationError) as refused:
        schema.load(comment_payload(parent_id=0, email="nope"))

    assert loaded["parent_id"] == 999
    assert set(refused.value.messages) == {"parent_id", "email"}


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("https://Blog.Example.com", "https://blog.example.com"),
        ("https://blog.example.com:443/", "https://blog.example.com"),
        ("HTTP://blog.example.com:80", "http://blog.example.com"),
        ("http://blog.example.com:8080/a/b?c#d", "http://blog.example.com:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_origin_is_written_as_browsers_send_it(written: str, expected: str) -> None:
    assert origin(written) == expected


@pytest.mark.parametrize("value", ["null", "ftp://blog.example.com", "blog.example.com", ""])
def test_origin_refuses_what_is_not_an_http_address(value: str) -> None:
    with pytest.raises(InvalidURL):
        origin(value)


def test_a_site_written_differently_is_the_same_site_for_configuration_cors_and_posting(
    make_app: Any,
) -> None:
    settings = Settings.from_env({"COMMENTSVC_SITES": "HTTPS://Blog.Example.com:443/"})
    client = make_app(sites=settings.sites).test_client()

    post = client.post(
        "/api/v1/comments",
        json=comment_payload(url="https://BLOG.example.com:443/2026/hello-world"),
        headers={"Origin": SITE},
    )
    other = client.post(
        "/api/v1/comments", json=comment_payload(url="https://blog.example.com:8443/a")
    )
    read = client.get("/api/v1/comments", query_string={"url": ARTICLE}, headers={"Origin": SITE})

    assert settings.sites == (SITE,)
    assert post.status_code == 202
    assert post.headers["Access-Control-Allow-Origin"] == SITE
    assert read.headers["Access-Control-Allow-Origin"] == SITE
    assert other.status_code == 403


def test_a_configured_site_with_a_path_is_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="COMMENTSVC_SITES.*origin only"):
        Settings.from_env({"COMMENTSVC_SITES": "https://blog.example.com/blog"})


def test_the_openapi_document_states_the_limits(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json
    create = document["components"]["schemas"]["CommentCreate"]["properties"]
    counts_url = document["paths"]["/api/v1/counts"]["get"]["parameters"][0]["schema"]
    queue_limit = document["paths"]["/api/v1/moderation/queue"]["get"]["parameters"][0]

    assert create["name"]["maxLength"] == limits.NAME_MAX
    assert create["email"]["maxLength"] == limits.EMAIL_MAX
    assert create["website"]["maxLength"] == limits.WEBSITE_MAX
    assert create["body"]["maxLength"] == limits.BODY_MAX
    assert create["url"]["maxLength"] == limits.URL_MAX
    assert counts_url["maxItems"] == limits.COUNTS_MAX
    assert queue_limit["schema"]["maximum"] == limits.QUEUE_LIMIT_MAX


def test_the_widget_limits_each_field_as_the_service_does() -> None:
    """embed.js is served as written (no build step): its maxlength attributes are
    compared with the service's limits here."""
    found = dict(
        re.findall(r'field\("(\w+)",.*?maxlength: "(\d+)"', EMBED.read_text(encoding="utf-8"))
    )

    assert found == {
        "body": str(limits.BODY_MAX),
        "name": str(limits.NAME_MAX),
        "email": str(limits.EMAIL_MAX),
        "website": str(limits.WEBSITE_MAX),
    }


def test_the_columns_hold_what_the_schema_accepts() -> None:
    from commentsvc.models import Comment, Thread

    columns = Comment.__table__.columns
    assert columns["author_name"].type.length == limits.NAME_MAX
    assert columns["author_email"].type.length == limits.EMAIL_MAX
    assert columns["author_website"].type.length == limits.WEBSITE_MAX
    assert Thread.__table__.columns["url"].type.length >= limits.URL_MAX
