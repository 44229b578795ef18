"""Public comment endpoints: parse with a schema, call a service, answer."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, Response, redirect, request
from marshmallow import ValidationError

from commentsvc.comments import services
from commentsvc.comments.schemas import CommentCreateSchema, CreatedCommentSchema
from commentsvc.deps import deps
from commentsvc.store import database as db
from commentsvc.web.payload import is_form_post, read_payload
from commentsvc.web.reads import Answer, Reads, article_urls

blueprint = Blueprint("comments", __name__, url_prefix="/api/v1")

_created = CreatedCommentSchema()


@blueprint.get("/comments")
def list_comments() -> Response:
    return _respond(_reads().thread(request.environ, db.session))


@blueprint.post("/comments")
def post_comment() -> Any:
    deps().limiter.count_post(request.remote_addr or "unknown")
    payload = read_payload()
    settings = deps().settings
    services.check_site(settings.sites, payload.get("url"))
    data = _create_schema(settings.check_email_deliverability).load(payload)
    comment = services.create_comment(
        db.session(), deps().queue, deps().cache, deps().rules, data, request.remote_addr
    )
    if is_form_post():
        # The no-JavaScript path: back to the article the reader came from.
        return redirect(data["url"], code=303)
    return _created.dump(comment), 202


def _check_parent(url: str, parent_id: int) -> str | None:
    return services.parent_problem(db.session(), url, parent_id)


@cache
def _create_schema(check_deliverability: bool) -> CommentCreateSchema:
    # Built once: a schema is costly to build and keeps no state between loads.
    return CommentCreateSchema(
        parent_check=_check_parent, check_deliverability=check_deliverability
    )


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
