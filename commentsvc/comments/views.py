"""Public comment endpoints: parse with a schema, call a service, answer."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from flask import Blueprint, Response, redirect, request
from marshmallow import EXCLUDE, ValidationError

from commentsvc.comments import crosssite, own, services
from commentsvc.comments.schemas import (
    TIME_FORMAT,
    CommentCreateSchema,
    CommentEditSchema,
    CountsQuerySchema,
    CreatedCommentSchema,
    OwnCommentSchema,
    ThreadQuerySchema,
)
from commentsvc.deps import deps
from commentsvc.store import database as db
from commentsvc.web.payload import is_form_post, read_payload

blueprint = Blueprint("comments", __name__, url_prefix="/api/v1")

_thread_query = ThreadQuerySchema(unknown=EXCLUDE)
_counts_query = CountsQuerySchema(unknown=EXCLUDE)
_created = CreatedCommentSchema()
_edit = CommentEditSchema()
_own = OwnCommentSchema()


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
    settings = deps().settings
    sender = crosssite.sender_origin(request.headers.get("Origin"), request.referrer)
    crosssite.check_sender(settings.sites, sender)
    deps().limiter.count_post(request.remote_addr or "unknown")
    payload = read_payload()
    services.check_site(settings.sites, payload.get("url"))
    try:
        data = _create_schema(settings.check_email_deliverability).load(payload)
    except ValidationError as invalid:
        raise services.with_parent_problem(db.session(), invalid) from None
    comment = services.create_comment(
        db.session(), deps().queue, deps().cache, deps().rules, data, request.remote_addr
    )
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


@cache
def _create_schema(check_deliverability: bool) -> CommentCreateSchema:
    # Built once: a schema is costly to build and keeps no state between loads.
    return CommentCreateSchema(check_deliverability=check_deliverability)


@blueprint.get("/counts")
def counts() -> Any:
    asked = request.args.getlist("url")
    normalised = _counts_query.load({"url": asked})["url"]
    found = services.count_approved(db.session, deps().cache, normalised)
    return {"counts": {url: found[norm] for url, norm in zip(asked, normalised, strict=True)}}
