"""Public comment endpoints: parse with a schema, call a service, answer."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from flask import Blueprint, Response, redirect, request
from marshmallow import ValidationError

from commentsvc.comments import crosssite, own, services
from commentsvc.comments.schemas import (
    TIME_FORMAT,
    CommentCreateSchema,
    CommentEditSchema,
    CreatedCommentSchema,
    FormTokenSchema,
    OwnCommentSchema,
)
from commentsvc.deps import deps
from commentsvc.spam import formtoken
from commentsvc.store import database as db
from commentsvc.web.payload import is_form_post, read_payload
from commentsvc.web.reads import Answer, Reads, article_urls

blueprint = Blueprint("comments", __name__, url_prefix="/api/v1")

_created = CreatedCommentSchema()
_edit = CommentEditSchema()
_own = OwnCommentSchema()
_form_token = FormTokenSchema()


@blueprint.get("/comments")
def list_comments() -> Response:
    return _respond(_reads().thread(request.environ, db.session))


@blueprint.post("/comments")
def post_comment() -> Any:
    settings = deps().settings
    sender = crosssite.sender_origin(request.headers.get("Origin"), request.referrer)
    crosssite.check_sender(settings.sites, sender)
    data, comment = store_posted(read_payload())
    if is_form_post():
        # The no-JavaScript path: back to the article the reader came from.
        if crosssite.may_redirect(data["url"], sender):
            return redirect(data["url"], code=303)
        return Response(
            crosssite.received_page(data["url"]),
            mimetype="text/html",
            headers={"Content-Security-Policy": "default-src 'none'"},
        )
    token, until = own.edit_token(
        str(settings.secret_key), comment.id, comment.created_at, settings.edit_window_seconds
    )
    return {**_created.dump(comment), "edit_token": token, "editable_until": _stamp(until)}, 202


def store_posted(payload: dict[str, Any]) -> tuple[dict[str, Any], services.PostedComment]:
    """Check and store a reader's comment, the same for every way of posting (this API,
    WordPress' comment form): site, fields, rate limit and spam rules (one Redis
    round trip). The caller checks the sender first. Returns the loaded fields and
    the stored comment."""
    settings = deps().settings
    services.check_site(settings.sites, payload.get("url"))
    try:
        data = _create_schema(settings.check_email_deliverability).load(payload)
    except ValidationError as invalid:
        raise services.with_parent_problem(db.session(), invalid) from None
    comment = services.create_comment(
        db.session(), deps().queue, deps().cache, deps().spam, data, request.remote_addr
    )
    return data, comment


def _stamp(moment: datetime) -> str:
    return moment.strftime(TIME_FORMAT)


def _author_proof(comment_id: int) -> None:
    """The reader's token for this comment, checked (Forbidden/TooLate otherwise)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    own.check_token(str(deps().settings.secret_key), comment_id,
                    token.strip() if scheme.lower() == "bearer" else "")  # fmt: skip


@blueprint.patch("/comments/<int:comment_id>")
def edit_own_comment(comment_id: int) -> Any:
    _author_proof(comment_id)
    body = _edit.load(read_payload())["body"]
    changed = own.edit_own(db.session(), deps().queue, comment_id, body)
    if changed.edit_status is None:
        services.invalidate_page(deps().cache, changed.comment.thread.url)
    answer = {"edit_status": changed.edit_status, "url": changed.comment.thread.url}
    return _own.dump({**_own_fields(changed.comment), **answer})


def _own_fields(comment: Any) -> dict[str, Any]:
    return {
        "id": comment.id, "parent_id": comment.parent_id, "author": comment.author,
        "html": comment.html, "created_at": comment.created_at, "status": comment.status,
    }  # fmt: skip


@blueprint.delete("/comments/<int:comment_id>")
def delete_own_comment(comment_id: int) -> Response:
    _author_proof(comment_id)
    own.delete_own(db.session(), deps().queue, deps().cache, comment_id)
    return Response(status=204)


@blueprint.get("/comments/form-token")
def form_token() -> Any:
    """A token for the form the embed is showing: posted back with the comment."""
    secret_key = deps().settings.secret_key
    assert secret_key is not None  # create_app always has one
    return (
        _form_token.dump({"token": formtoken.issue(secret_key)}),
        200,
        {"Cache-Control": "no-store"},
    )


@cache
def _create_schema(check_deliverability: bool) -> CommentCreateSchema:
    # Built once: a schema is costly to build and keeps no state between loads.
    return CommentCreateSchema(check_deliverability=check_deliverability)


@blueprint.get("/counts")
def counts() -> Response:
    return _respond(
        _reads().counts(article_urls(request.environ.get("QUERY_STRING", "")), db.session)
    )


@blueprint.post("/counts")
def counts_of_many() -> Response:
    """The same query in a body (a form, or JSON ``{"url": [...]}``), for lists of
    addresses too long for a request line."""
    if is_form_post():
        asked: Any = request.form.getlist("url")
    else:
        asked = read_payload().get("url", [])
    if not isinstance(asked, list) or not all(isinstance(url, str) for url in asked):
        raise ValidationError({"url": ["Give the article addresses as a list of strings."]})
    return _respond(_reads().counts(tuple(asked), db.session))


def _reads() -> Reads:
    return Reads(deps().cache, deps().settings.sites)


def _respond(answer: Answer) -> Response:
    return Response(answer.body, status=answer.status, headers=answer.headers)
