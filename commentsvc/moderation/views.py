"""The review endpoint: the queue, decisions and deletion, for moderators only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from marshmallow import EXCLUDE

from commentsvc.deps import deps
from commentsvc.moderation import services
from commentsvc.moderation.auth import current_moderator, moderator_required
from commentsvc.moderation.schemas import (
    DecidedCommentSchema,
    DecisionSchema,
    QueueQuerySchema,
    QueueSchema,
)
from commentsvc.store import database as db
from commentsvc.web.payload import read_payload

blueprint = Blueprint("moderation", __name__, url_prefix="/api/v1/moderation")

_queue_query = QueueQuerySchema(unknown=EXCLUDE)
_queue = QueueSchema()
_decision = DecisionSchema()
_decided = DecidedCommentSchema()


@blueprint.get("/queue")
@moderator_required
def queue() -> Any:
    limit = _queue_query.load(request.args)["limit"]
    comments = services.claim_comments(db.session(), deps().queue, current_moderator(), limit)
    return _queue.dump({"comments": comments})


@blueprint.post("/comments/<int:comment_id>")
@moderator_required
def decide(comment_id: int) -> Any:
    action = _decision.load(read_payload())["action"]
    comment = services.decide(
        db.session(), deps().queue, deps().cache, current_moderator(), comment_id, action
    )
    return _decided.dump(comment)


@blueprint.delete("/comments/<int:comment_id>")
@moderator_required
def delete(comment_id: int) -> Response:
    services.delete(db.session(), deps().queue, deps().cache, comment_id)
    return Response(status=204)
