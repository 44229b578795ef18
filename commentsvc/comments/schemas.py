"""Comment schemas: the shape of what readers send (checked here, without the
database: the rules that need it, the site and the parent, are the services'), and
the shape of every comment the API returns (the OpenAPI document is generated from
these)."""

from __future__ import annotations

import re
from typing import Any

from email_validator import EmailNotValidError, validate_email
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from commentsvc.comments.limits import (
    BODY_MAX,
    COUNTS_MAX,
    EMAIL_MAX,
    MAX_ID,
    NAME_MAX,
    URL_MAX,
    WEBSITE_MAX,
)
from commentsvc.comments.rendering import has_visible_text
from commentsvc.comments.urls import InvalidURL, normalize_article_url
from commentsvc.config import parse_sites

HONEYPOT_FIELD = "homepage"
FORM_TOKEN_FIELD = "form_token"  # noqa: S105 (a field name)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
NOT_A_PARENT = "This is not a comment you can reply to."


# Control characters (NUL, escape sequences, C1 controls): no reader typed them,
# PostgreSQL cannot store NUL, and they could rewrite terminals and logs.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Line breaks and tabs too, in fields that are one line.
_CONTROL_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Bidirectional embeddings, overrides and isolates: in a name they would turn the
# rest of the line around it ("Ada" followed by a reversed "moc.elpmaxe").
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def has_forbidden_characters(text: str, *, one_line: bool = False) -> bool:
    """Whether ``text`` holds what no field may hold: surrogates, control characters."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return bool((_CONTROL_IN_LINE if one_line else _CONTROL).search(text))


class Text(fields.String):
    """A string a database of any kind can store and a reader typed: valid Unicode, no
    control characters (NUL included) beyond line breaks and tabs."""

    one_line = False
    default_error_messages = {
        "invalid": "Please enter text here.",
        "unstorable": "This text contains characters that are not allowed.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if has_forbidden_characters(text, one_line=self.one_line):
            raise self.make_error("unstorable")
        return text


class Line(Text):
    """Text on one line: no line breaks, tabs or text-direction controls either."""

    one_line = True
    default_error_messages = {
        "bidi": "Please leave out text-direction control characters.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _BIDI_CONTROL.search(text):
            raise self.make_error("bidi")
        return text


class ArticleURL(Text):
    one_line = True
    default_error_messages = {
        "invalid": "The article address must be a full http:// or https:// address.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalize_article_url(text)
        except InvalidURL:
            raise self.make_error("invalid") from None


class Email(Text):
    """Checked and normalised with email-validator (no DNS look-up unless configured)."""

    one_line = True

    def __init__(self, *, check_deliverability: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_deliverability = check_deliverability

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            checked = validate_email(text, check_deliverability=self.check_deliverability)
        except EmailNotValidError as exc:
            raise ValidationError(f"Please enter a valid email address. {exc}") from None
        return checked.normalized


class Website(fields.Url):
    default_error_messages = {
        "invalid": "Please enter a web address starting with http:// or https://.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(schemes={"http", "https"}, require_tld=False, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str) and has_forbidden_characters(value, one_line=True):
            raise self.make_error("invalid")
        text: str = super()._deserialize(value, attr, data, **kwargs)
        return text


def _required(what: str) -> dict[str, str | list[Any] | dict[Any, Any]]:
    return {"required": what, "null": what}


def body_field() -> Text:
    """A comment's text, as readers post it and moderators correct it."""
    return Text(
        required=True,
        validate=validate.Length(
            max=BODY_MAX, error=f"Please keep your comment under {BODY_MAX:,} characters."
        ),
        error_messages=_required("Please write a comment."),
    )


class CommentCreateSchema(Schema):
    """What a reader posts. Unknown fields are rejected (marshmallow's default)."""

    url = ArticleURL(
        required=True,
        validate=validate.Length(max=URL_MAX, error="The article address is too long."),
        error_messages=_required("The article address (url) is missing."),
    )
    name = Line(
        required=True,
        validate=validate.Length(
            max=NAME_MAX, error=f"Please enter a name of at most {NAME_MAX} characters."
        ),
        error_messages=_required("Please enter your name."),
    )
    email = Email(
        required=True,
        validate=validate.Length(max=EMAIL_MAX, error="This email address is too long."),
        error_messages=_required("Please enter your email address. It will not be published."),
    )
    website = Website(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=WEBSITE_MAX, error="This web address is too long."),
    )
    body = body_field()
    parent_id = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(min=1, max=MAX_ID, error=NOT_A_PARENT),
        error_messages={"invalid": NOT_A_PARENT},
    )
    # "Notify me of replies by email": a JSON boolean, or a form checkbox ("on").
    notify_replies = fields.Boolean(
        load_default=False,
        error_messages={"invalid": "Tick the box, or leave it empty, to choose reply mail."},
    )
    # Hidden from people by the embed; bots that fill every field fill this one too.
    homepage = Text(load_default="", data_key=HONEYPOT_FIELD)
    # Given to the embed when it showed the form (GET /api/v1/comments/form-token):
    # a comment posted seconds later was not written by a person.
    form_token = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100, error="This form token is not valid."),
    )

    def __init__(self, *, check_deliverability: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        email = self.fields["email"]
        assert isinstance(email, Email)
        email.check_deliverability = check_deliverability

    @pre_load
    def drop_empty_optionals(self, data: Any, **_kwargs: Any) -> Any:
        # A plain HTML form sends "" for fields the reader left empty.
        if isinstance(data, dict):
            data = dict(data)
            optional = ("website", "parent_id", "notify_replies", HONEYPOT_FIELD, FORM_TOKEN_FIELD)
            for name in optional:
                if isinstance(data.get(name), str) and not data[name].strip():
                    data.pop(name)
            for name in ("name", "email", "website"):
                if isinstance(data.get(name), str):
                    data[name] = data[name].strip()
        return data

    @validates_schema(skip_on_field_errors=False)
    def check_visible_text(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if "body" in data and not has_visible_text(data["body"]):
            errors["body"] = ["Please write a comment."]
        if "name" in data and not has_visible_text(data["name"]):
            errors["name"] = ["Please enter your name."]
        if errors:
            raise ValidationError(errors)

    @post_load
    def strip_body(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["body"] = data["body"].strip()
        return data


class CommentEditSchema(Schema):
    """A reader's new text for their own comment."""

    body = body_field()

    @validates_schema
    def check_body(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not has_visible_text(data["body"]):
            raise ValidationError({"body": ["Please write a comment."]})

    @post_load
    def strip_body(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["body"] = data["body"].strip()
        return data


class Timestamp(fields.Field[Any]):
    """ISO 8601 in UTC with a Z, to the second: ``2026-11-24T12:00:00Z``."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.strftime(TIME_FORMAT)


class AuthorSchema(Schema):
    name = fields.String(required=True)
    website = fields.String(allow_none=True, required=True)


class PublicCommentSchema(Schema):
    """A comment as anyone may see it: never the email, the IP address or the status
    of someone else's comment."""

    id = fields.Integer(required=True)
    parent_id = fields.Integer(allow_none=True, required=True)
    author = fields.Nested(AuthorSchema, required=True)
    html = fields.String(required=True)
    created_at = Timestamp(required=True)


class CreatedCommentSchema(PublicCommentSchema):
    """The answer to the reader who just posted: their comment, waiting for moderation."""

    status = fields.String(required=True)
    url = fields.String(required=True)
    # Proves to the service, until editable_until, that this reader wrote it.
    edit_token = fields.String()
    editable_until = Timestamp()


class OwnCommentSchema(CreatedCommentSchema):
    """A reader's comment after they changed it: an edit of a published comment
    waits for moderation (``edit_status``) while the published text stays."""

    edit_status = fields.String(allow_none=True, required=True)


class ThreadSchema(Schema):
    url = fields.String(required=True)
    total = fields.Integer(required=True)
    comments = fields.List(fields.Nested(PublicCommentSchema), required=True)


class ThreadQuerySchema(Schema):
    url = ArticleURL(required=True, error_messages=_required("Give the article address as url."))


class SiteOrigin(Text):
    default_error_messages = {
        "invalid": "The site must be an origin such as https://blog.example.com.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            (origin,) = parse_sites(text)
        except ValueError:
            raise self.make_error("invalid") from None
        return origin


class SiteQuerySchema(Schema):
    site = SiteOrigin(required=True, error_messages=_required("Give the site's origin as site."))


class CountsQuerySchema(Schema):
    url = fields.List(
        ArticleURL(),
        required=True,
        validate=validate.Length(
            min=1, max=COUNTS_MAX, error=f"Ask for between 1 and {COUNTS_MAX} articles."
        ),
        error_messages=_required("Give one or more article addresses as url."),
    )


class FormTokenSchema(Schema):
    token = fields.String(required=True)


class CountsSchema(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
