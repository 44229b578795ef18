"""What moderators send and see."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from commentsvc.comments.schemas import PublicCommentSchema, Timestamp
from commentsvc.moderation.services import Action


class QueueQuerySchema(Schema):
    limit = fields.Integer(
        load_default=10,
        validate=validate.Range(min=1, max=100, error="limit must be between 1 and 100."),
        error_messages={"invalid": "limit must be a whole number."},
    )


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


class QueueSchema(Schema):
    comments = fields.List(fields.Nested(QueuedCommentSchema), required=True)


class DecisionSchema(Schema):
    action = fields.Enum(
        Action,
        by_value=True,
        required=True,
        error_messages={
            "required": "Say what to do: approve, reject or spam.",
            "null": "Say what to do: approve, reject or spam.",
            "unknown": "The action must be approve, reject or spam.",
        },
    )


class DecidedCommentSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    decided_at = Timestamp(allow_none=True, required=True)
    decided_by = fields.String(attribute="decided_by.name", allow_none=True, required=True)
