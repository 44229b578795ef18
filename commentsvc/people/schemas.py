"""What the data-rights endpoints read and answer."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from commentsvc.comments.limits import EMAIL_MAX
from commentsvc.comments.schemas import Email, Timestamp


class PersonSchema(Schema):
    """The address in the path, normalised as posting normalises it."""

    email = Email(
        required=True,
        validate=validate.Length(max=EMAIL_MAX, error="This email address is too long."),
        error_messages={"required": "Give the person's email address."},
    )


class ErasureQuerySchema(Schema):
    with_comments = fields.Boolean(
        load_default=False,
        metadata={"description": "Delete the comments too (their replies move up)"},
        error_messages={"invalid": "with_comments must be true or false."},
    )


class PersonCommentSchema(Schema):
    """One of the person's comments, with everything kept about it."""

    id = fields.Integer(required=True)
    url = fields.String(attribute="thread.url", required=True)
    parent_id = fields.Integer(allow_none=True, required=True)
    status = fields.String(required=True)
    name = fields.String(attribute="author_name", required=True)
    website = fields.String(attribute="author_website", allow_none=True, required=True)
    body = fields.String(required=True)
    html = fields.String(required=True)
    created_at = Timestamp(required=True)
    decided_at = Timestamp(allow_none=True, required=True)
    ip = fields.String(
        attribute="remote_addr",
        allow_none=True,
        required=True,
        metadata={"description": "null once COMMENTSVC_IP_RETENTION_DAYS have passed"},
    )


class PersonExportSchema(Schema):
    email = fields.String(required=True)
    trust = fields.String(required=True, metadata={"enum": ["trusted", "blocked", "none"]})
    comments = fields.List(fields.Nested(PersonCommentSchema), required=True)


class ErasureSchema(Schema):
    comments_anonymised = fields.Integer(required=True)
    comments_deleted = fields.Integer(required=True)
    trust_removed = fields.Boolean(required=True)
    audit_events_anonymised = fields.Integer(required=True)
    articles = fields.Integer(required=True, metadata={"description": "Articles refreshed"})
