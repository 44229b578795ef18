"""Public comment endpoints: parse with a schema, call a service, answer."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, Response, redirect, request
from marshmallow import EXCLUDE

from commentsvc.comments import services
from commentsvc.comments.schemas import (
    CommentCreateSchema,
    CountsQuerySchema,
    CreatedCommentSchema,
    FormTokenSchema,
    ThreadQuerySchema,
)
from commentsvc.deps import deps
from commentsvc.spam import formtoken
from commentsvc.store import database as db
from commentsvc.web.payload import is_form_post, read_payload

blueprint = Blueprint("comments", __name__, url_prefix="/api/v1")

_thread_query = ThreadQuerySchema(unknown=EXCLUDE)
_counts_query = CountsQuerySchema(unknown=EXCLUDE)
_created = CreatedCommentSchema()
_form_token = FormTokenSchema()


@blueprint.get("/comments")
def list_comments() -> Response:
    url = _thread_query.load(request.args)["url"]
    # The one ETag a reader's browser sends back; the cache answers it without the body.
    known = next(iter(request.if_none_match), "")
    etag, body = services.public_page(db.session, deps().cache, url, known)
    response = Response(body, mimetype="application/json") if body else Response(status=304)
    response.set_etag(etag)
    # Always revalidate: a newly approved comment shows on the next view.
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.post("/comments")
def post_comment() -> Any:
    deps().limiter.count_post(request.remote_addr or "unknown")
    payload = read_payload()
    settings = deps().settings
    services.check_site(settings.sites, payload.get("url"))
    data = _create_schema(settings.check_email_deliverability).load(payload)
    comment = services.create_comment(
        db.session(), deps().queue, deps().cache, deps().spam, data, request.remote_addr
    )
    if is_form_post():
        # The no-JavaScript path: back to the article the reader came from.
        return redirect(data["url"], code=303)
    return _created.dump(comment), 202


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


def _check_parent(url: str, parent_id: int) -> str | None:
    return services.parent_problem(db.session(), url, parent_id)


@cache
def _create_schema(check_deliverability: bool) -> CommentCreateSchema:
    # Built once: a schema is costly to build and keeps no state between loads.
    return CommentCreateSchema(
        parent_check=_check_parent, check_deliverability=check_deliverability
    )


@blueprint.get("/counts")
def counts() -> Any:
    asked = request.args.getlist("url")
    normalised = _counts_query.load({"url": asked})["url"]
    found = services.count_approved(db.session, deps().cache, normalised)
    return {"counts": {url: found[norm] for url, norm in zip(asked, normalised, strict=True)}}
