"""``POST /wp-comments-post.php``: WordPress' own comment form, answered by the service.

A site leaving WordPress keeps its theme: the form at the end of each article changes
only its ``action`` to this service. The form's fields are WordPress' (``comment``,
``author``, ``email``, ``url`` for the commenter's site, ``comment_parent``); the
article is ``redirect_to``, or else the page the form was on (``Referer``). Fields
WordPress and its plugins add (``comment_post_ID``, ``submit``, nonces) are ignored.

The comment is checked and stored exactly like ``POST /api/v1/comments`` (same rate
limit, sites, validation and spam rules). Success answers like WordPress: 303 back to
the article. A refusal is a short HTML page for a browser (the messages and a link
back to the article), with the status of the API's refusal; a client that asks for
JSON gets the API's error envelope, with WordPress' field names.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, redirect, request
from markupsafe import escape
from marshmallow import Schema, ValidationError, fields

from commentsvc.comments import crosssite
from commentsvc.comments.urls import InvalidURL, normalize_article_url
from commentsvc.comments.views import store_posted
from commentsvc.deps import deps
from commentsvc.web.errors import (
    BadRequest,
    Forbidden,
    ServiceError,
    TooManyRequests,
    envelope,
    field_errors,
)
from commentsvc.web.payload import is_form_post

blueprint = Blueprint("wordpress_form", __name__)


class WordPressCommentFormSchema(Schema):
    """The fields of WordPress' comment form this address reads (for the OpenAPI
    document; the comment itself is checked by the API's schema)."""

    comment = fields.String(required=True, metadata={"description": "The comment (body)"})
    author = fields.String(required=True, metadata={"description": "The name (name)"})
    email = fields.String(required=True, metadata={"description": "Never published (email)"})
    url = fields.String(metadata={"description": "The commenter's site (website)"})
    comment_parent = fields.Integer(
        metadata={"description": "The comment replied to (parent_id); 0 for none"}
    )
    redirect_to = fields.String(
        metadata={"description": "The article (url); without it, the Referer"}
    )


PATH = "/wp-comments-post.php"
# WordPress' field -> the API's field: the one place the two names meet.
FIELDS = {
    "comment": "body",
    "author": "name",
    "email": "email",
    "url": "website",
    "comment_parent": "parent_id",
    "redirect_to": "url",
}
WORDPRESS_NAMES = {ours: theirs for theirs, ours in FIELDS.items()}
NO_ARTICLE = (
    "The article could not be told: the form sends no redirect_to field and the browser no Referer."
)
OTHER_SITE = "The article must be on the site the form was posted from."
WORDPRESS_PARAMETERS = frozenset({"replytocom", "unapproved", "moderation-hash"})


def _payload() -> dict[str, Any]:
    if not is_form_post():
        raise BadRequest("This address takes WordPress' comment form, sent as a form.")
    form = request.form
    payload = {ours: form[theirs] for theirs, ours in FIELDS.items() if theirs in form}
    if payload.get("parent_id", "").strip() in ("", "0"):  # WordPress' 0: not a reply
        payload.pop("parent_id", None)
    if not payload.get("url", "").strip():
        payload["url"] = request.referrer or ""
    if not payload["url"].strip():
        raise BadRequest(NO_ARTICLE)
    payload["url"] = _article_address(payload["url"])
    return payload


def _article_address(url: str) -> str:
    """The article without the parameters WordPress adds to it: a theme's reply link
    (``?replytocom=ID#respond``) and the page after posting (``?unapproved=ID``)."""
    parts = urlsplit(url.strip())
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
             if name not in WORDPRESS_PARAMETERS]  # fmt: skip
    return urlunsplit(parts._replace(query=urlencode(query)))


def _wants_html() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _back_link() -> str:
    for candidate in (request.form.get("redirect_to"), request.referrer):
        try:
            return normalize_article_url(candidate or "")
        except InvalidURL:
            continue
    return ""


def _error_page(code: int, message: str, messages: list[str]) -> Response:
    items = "".join(f"<li>{escape(text)}</li>" for text in messages)
    back = _back_link()
    link = f'<p><a href="{escape(back)}">Back to the article</a></p>' if back else ""
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Your comment was not posted</title></head><body>"
        f"<h1>Your comment was not posted</h1><p>{escape(message)}</p>"
        f"{f'<ul>{items}</ul>' if items else ''}{link}</body></html>"
    )
    response = Response(page, status=code, mimetype="text/html")
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _refused(exc: ValidationError | ServiceError) -> Response:
    if isinstance(exc, ServiceError):
        if not _wants_html():
            raise exc
        response = _error_page(exc.code, exc.message, [])
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    fields = {WORDPRESS_NAMES.get(name, name): messages
              for name, messages in field_errors(exc.messages).items()}  # fmt: skip
    message = f"Please correct the highlighted fields: {', '.join(sorted(fields))}."
    if not _wants_html():
        return envelope(422, message, fields)
    return _error_page(422, "Please go back and correct your comment:",
                       [text for messages in fields.values() for text in messages])  # fmt: skip


@blueprint.post(PATH)
def wordpress_comment_form() -> Any:
    sender = crosssite.sender_origin(request.headers.get("Origin"), request.referrer)
    try:
        crosssite.check_sender(deps().settings.sites, sender)
        payload = _payload()
        # The redirect that follows goes back to the site the form was on, never elsewhere.
        if not crosssite.may_redirect(payload["url"], sender):
            raise Forbidden(OTHER_SITE)
        data, _comment = store_posted(payload)
    except (ValidationError, ServiceError) as exc:
        return _refused(exc)
    return redirect(data["url"], code=303)
