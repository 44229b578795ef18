"""The moderation API: the queue, listing and search, decisions (one or many),
edits, history, authors' trust, deletion and the live stream, for moderators only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from marshmallow import EXCLUDE

from commentsvc.comments.schemas import CommentEditSchema
from commentsvc.deps import deps
from commentsvc.moderation import listing, live, services
from commentsvc.moderation.auth import current_moderator, moderator_required
from commentsvc.moderation.schemas import (
    AuthorEmailSchema,
    AuthorSummarySchema,
    AuthorTrustSchema,
    BulkDecisionSchema,
    BulkResultSchema,
    CommentListSchema,
    DecidedCommentSchema,
    DecisionSchema,
    HistorySchema,
    ListQuerySchema,
    ModeratedCommentSchema,
    QueueQuerySchema,
    QueueSchema,
    TrustChangeSchema,
)
from commentsvc.moderation.trust import set_trust
from commentsvc.store import database as db
from commentsvc.web.payload import read_payload

blueprint = Blueprint("moderation", __name__, url_prefix="/api/v1/moderation")

_queue_query = QueueQuerySchema(unknown=EXCLUDE)
_queue = QueueSchema()
_list_query = ListQuerySchema(unknown=EXCLUDE)
_list = CommentListSchema()
_decision = DecisionSchema()
_decided = DecidedCommentSchema()
_bulk = BulkDecisionSchema()
_bulk_result = BulkResultSchema()
_edit = CommentEditSchema()  # a moderator corrects the text as its author would
_moderated = ModeratedCommentSchema()
_history = HistorySchema()
_author_email = AuthorEmailSchema()
_trust_change = TrustChangeSchema()
_author_trust = AuthorTrustSchema()
_author_summary = AuthorSummarySchema()


@blueprint.get("/queue")
@moderator_required
def queue() -> Any:
    limit = _queue_query.load(request.args)["limit"]
    session = db.session()
    comments = services.claim_comments(session, deps().queue, current_moderator(), limit)
    return _queue.dump({"comments": listing.annotate(session, comments)})


@blueprint.get("/comments")
@moderator_required
def list_comments() -> Any:
    query = _list_query.load(request.args)
    filters = listing.Filters(
        status=query["status"], url=query["url"], q=query["q"], email=query["email"]
    )
    comments, next_cursor = listing.find_comments(
        db.session(), filters, query["limit"], query["cursor"]
    )
    return _list.dump({"comments": comments, "next_cursor": next_cursor})


@blueprint.post("/comments/<int:comment_id>")
@moderator_required
def decide(comment_id: int) -> Any:
    decision = _decision.load(read_payload())
    comment = services.decide(
        db.session(), deps().queue, deps().cache, current_moderator(), comment_id,
        decision["action"], decision["expected_status"],
    )  # fmt: skip
    return _decided.dump(comment)


@blueprint.patch("/comments/<int:comment_id>")
@moderator_required
def edit(comment_id: int) -> Any:
    body = _edit.load(read_payload())["body"]
    session = db.session()
    comment = services.edit(session, deps().cache, current_moderator(), comment_id, body)
    return _moderated.dump(listing.annotate(session, [comment])[0])


@blueprint.delete("/comments/<int:comment_id>")
@moderator_required
def delete(comment_id: int) -> Response:
    services.delete(db.session(), deps().queue, deps().cache, current_moderator(), comment_id)
    return Response(status=204)


@blueprint.get("/comments/<int:comment_id>/history")
@moderator_required
def comment_history(comment_id: int) -> Any:
    return _history.dump({"events": services.comment_history(db.session(), comment_id)})


@blueprint.post("/bulk")
@moderator_required
def bulk() -> Any:
    decision = _bulk.load(read_payload())
    results = services.decide_many(
        db.session(), deps().queue, deps().cache, current_moderator(), decision["ids"],
        decision["action"],
    )  # fmt: skip
    return _bulk_result.dump({"results": results})


@blueprint.get("/authors/<email>")
@moderator_required
def author(email: str) -> Any:
    normalised = _author_email.load({"email": email})["email"]
    return _author_summary.dump(listing.author_summary(db.session(), normalised))


@blueprint.put("/authors/<email>")
@moderator_required
def change_trust(email: str) -> Any:
    normalised = _author_email.load({"email": email})["email"]
    trust = _trust_change.load(read_payload())["trust"]
    set_trust(db.session(), normalised, trust, current_moderator().name)
    return _author_trust.dump({"email": normalised, "trust": trust.value})


@blueprint.get("/stream")
@moderator_required
def stream() -> Response:
    pubsub = live.subscribe(deps().redis)
    db.session().close()  # a long answer holds no database connection
    response = Response(live.server_sent_events(pubsub), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
