"""What moderators send and see."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from commentsvc.comments.limits import QUEUE_LIMIT_MAX
from commentsvc.comments.schemas import PublicCommentSchema, Timestamp
from commentsvc.moderation.services import Action

QUEUE_LIMIT_DEFAULT = 10


class QueueQuerySchema(Schema):
    limit = fields.Integer(
        load_default=QUEUE_LIMIT_DEFAULT,
        validate=validate.Range(
            min=1, max=QUEUE_LIMIT_MAX, error=f"limit must be between 1 and {QUEUE_LIMIT_MAX}."
        ),
        error_messages={"invalid": "limit must be a whole number."},
    )


class QueuedCommentSchema(PublicCommentSchema):
    """A pending comment with what only moderators see: the email, the article,
    the raw body, the client IP and why the spam rules flagged it."""

    email = fields.String(attribute="author_email", required=True)
    url = fields.String(attribute="thread.url", required=True)
    status = fields.String(required=True)
    body = fields.String(required=True)
    ip = fields.String(attribute="remote_addr", allow_none=True, required=True)
    spam = fields.List(fields.String(), attribute="spam_reasons", required=True)
    # Set when this is a reader's edit of their published comment (that comment's id):
    # approving it changes the published text.
    revises_id = fields.Integer(allow_none=True, required=True)


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
