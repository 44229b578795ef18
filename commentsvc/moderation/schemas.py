"""What moderators send and see."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from commentsvc.comments.limits import EMAIL_MAX, MAX_ID, QUEUE_LIMIT_MAX
from commentsvc.comments.models import CommentStatus
from commentsvc.comments.schemas import (
    ArticleURL,
    Email,
    PublicCommentSchema,
    Text,
    Timestamp,
)
from commentsvc.moderation.services import Action
from commentsvc.moderation.trust import Trust

BULK_MAX = 100
SEARCH_MAX = 200

QUEUE_LIMIT_DEFAULT = 10


def _limit(default: int) -> fields.Integer:
    return fields.Integer(
        load_default=default,
        validate=validate.Range(
            min=1, max=QUEUE_LIMIT_MAX, error=f"limit must be between 1 and {QUEUE_LIMIT_MAX}."
        ),
        error_messages={"invalid": "limit must be a whole number."},
    )


class QueueQuerySchema(Schema):
    limit = _limit(QUEUE_LIMIT_DEFAULT)


class QueuedCommentSchema(PublicCommentSchema):
    """A pending comment with what only moderators see: the email, the article,
    the raw body, the client IP, why the spam checks flagged it and the learned
    spam score (0..1)."""

    email = fields.String(attribute="author_email", required=True)
    url = fields.String(attribute="thread.url", required=True)
    status = fields.String(required=True)
    body = fields.String(required=True)
    ip = fields.String(attribute="remote_addr", allow_none=True, required=True)
    spam = fields.List(fields.String(), attribute="spam_reasons", required=True)
    spam_score = fields.Float(required=True)
    # Set when this is a reader's edit of their published comment (that comment's id):
    # approving it changes the published text.
    revises_id = fields.Integer(allow_none=True, required=True)


class ParentSchema(Schema):
    id = fields.Integer(required=True)
    author = fields.String(required=True, metadata={"description": "The parent's author name"})
    text = fields.String(required=True, metadata={"description": "The start of its raw text"})


def _decided_by(comment: Any) -> str | None:
    return comment.decided_by.name if comment.decided_by is not None else None


class ModeratedCommentSchema(QueuedCommentSchema):
    """A comment in the moderation console: the queue item, how and by whom it was
    decided, the parent of a reply, and the author's other comments by status."""

    spam_score = fields.Float(required=True)
    decided_at = Timestamp(allow_none=True, required=True)
    decided_by = fields.Function(
        _decided_by,
        required=True,
        allow_none=True,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "None: not decided by a moderator",
        },
    )
    parent = fields.Nested(ParentSchema, allow_none=True, required=True)
    author_history = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "The author's other comments by status"},
    )
    author_trust = fields.String(
        required=True, validate=validate.OneOf([trust.value for trust in Trust])
    )


class QueueSchema(Schema):
    comments = fields.List(fields.Nested(ModeratedCommentSchema), required=True)


class ListQuerySchema(Schema):
    status = fields.Enum(
        CommentStatus,
        by_value=True,
        load_default=None,
        error_messages={"unknown": "status must be pending, approved, rejected or spam."},
    )
    url = ArticleURL(load_default=None)
    q = Text(
        load_default=None,
        validate=validate.Length(
            max=SEARCH_MAX, error=f"Search for at most {SEARCH_MAX} characters."
        ),
    )
    email = Email(load_default=None, validate=validate.Length(max=EMAIL_MAX))
    limit = _limit(20)
    cursor = fields.String(load_default=None, validate=validate.Length(max=20))


class CommentListSchema(Schema):
    comments = fields.List(fields.Nested(ModeratedCommentSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


_ACTION_MESSAGES: dict[str, Any] = {
    "required": "Say what to do: approve, reject or spam.",
    "null": "Say what to do: approve, reject or spam.",
    "unknown": "The action must be approve, reject or spam.",
}


def _action() -> fields.Enum[Action]:
    return fields.Enum(Action, by_value=True, required=True, error_messages=_ACTION_MESSAGES)


class DecisionSchema(Schema):
    action = _action()
    expected_status = fields.Enum(
        CommentStatus,
        by_value=True,
        load_default=None,
        metadata={"description": "The status the moderator saw: 409 if it changed since"},
        error_messages={"unknown": "expected_status must be pending, approved, rejected or spam."},
    )


class DecidedCommentSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    decided_at = Timestamp(allow_none=True, required=True)
    decided_by = fields.String(attribute="decided_by.name", allow_none=True, required=True)


class BulkDecisionSchema(Schema):
    ids = fields.List(
        fields.Integer(
            strict=True,
            validate=validate.Range(min=1, max=MAX_ID, error="Ids are whole numbers from 1."),
        ),
        required=True,
        validate=validate.Length(
            min=1, max=BULK_MAX, error=f"Give between 1 and {BULK_MAX} comment ids."
        ),
        error_messages={"required": "Give the comment ids as ids."},
    )
    action = _action()


class BulkResultSchema(Schema):
    results = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": 'By id: the status now, or "not found"'},
    )


class HistoryEventSchema(Schema):
    action = fields.String(required=True)
    by = fields.String(required=True)
    at = Timestamp(required=True)
    detail = fields.Dict(allow_none=True)


class HistorySchema(Schema):
    events = fields.List(fields.Nested(HistoryEventSchema), required=True)


class AuthorEmailSchema(Schema):
    email = Email(required=True, validate=validate.Length(max=EMAIL_MAX))


class TrustChangeSchema(Schema):
    trust = fields.Enum(
        Trust,
        by_value=True,
        required=True,
        error_messages={
            "required": "Say how to treat this author: trusted, blocked or none.",
            "null": "Say how to treat this author: trusted, blocked or none.",
            "unknown": "trust must be trusted, blocked or none.",
        },
    )


class AuthorTrustSchema(Schema):
    email = fields.String(required=True)
    trust = fields.String(required=True)


class AuthorSummarySchema(AuthorTrustSchema):
    comments = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "The author's comments by status"},
    )
