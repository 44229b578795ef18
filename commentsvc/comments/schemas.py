"""Comment schemas: the one place input is checked, and the shape of every
comment the API returns (the OpenAPI document is generated from these)."""

from __future__ import annotations

from collections.abc import Callable
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

from commentsvc.comments.rendering import has_visible_text
from commentsvc.comments.urls import InvalidURL, normalize_article_url

NAME_MAX = 100
EMAIL_MAX = 254
WEBSITE_MAX = 500
BODY_MAX = 10_000
URL_MAX = 2_000
HONEYPOT_FIELD = "homepage"
FORM_TOKEN_FIELD = "form_token"  # noqa: S105 (a field name)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Ids are 32-bit on every database; a larger number cannot name a comment.
MAX_ID = 2**31 - 1

# Finds a problem with a reply's parent (None when it is fine): (article url, parent id).
ParentCheck = Callable[[str, int], "str | None"]


class Text(fields.String):
    """A string a database of any kind can store: no NUL characters, valid Unicode."""

    default_error_messages = {
        "invalid": "Please enter text here.",
        "unstorable": "This text contains characters that are not allowed.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("unstorable") from None
        if "\x00" in text:
            raise self.make_error("unstorable")
        return text


class ArticleURL(Text):
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


def _required(what: str) -> dict[str, str]:
    return {"required": what, "null": what}


class CommentCreateSchema(Schema):
    """What a reader posts. Unknown fields are rejected (marshmallow's default)."""

    url = ArticleURL(
        required=True,
        validate=validate.Length(max=URL_MAX, error="The article address is too long."),
        error_messages=_required("The article address (url) is missing."),
    )
    name = Text(
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
    body = Text(
        required=True,
        validate=validate.Length(
            max=BODY_MAX, error=f"Please keep your comment under {BODY_MAX:,} characters."
        ),
        error_messages=_required("Please write a comment."),
    )
    parent_id = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(min=1, max=MAX_ID, error="This is not a comment you can reply to."),
        error_messages={"invalid": "This is not a comment you can reply to."},
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

    def __init__(
        self,
        *,
        parent_check: ParentCheck | None = None,
        check_deliverability: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.parent_check = parent_check
        email = self.fields["email"]
        assert isinstance(email, Email)
        email.check_deliverability = check_deliverability

    @pre_load
    def drop_empty_optionals(self, data: Any, **_kwargs: Any) -> Any:
        # A plain HTML form sends "" for fields the reader left empty.
        if isinstance(data, dict):
            data = dict(data)
            for name in ("website", "parent_id", HONEYPOT_FIELD, FORM_TOKEN_FIELD):
                if isinstance(data.get(name), str) and not data[name].strip():
                    data.pop(name)
            for name in ("name", "email", "website"):
                if isinstance(data.get(name), str):
                    data[name] = data[name].strip()
        return data

    @validates_schema(skip_on_field_errors=False)
    def check_body_and_parent(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if "body" in data and not has_visible_text(data["body"]):
            errors["body"] = ["Please write a comment."]
        if "name" in data and not has_visible_text(data["name"]):
            errors["name"] = ["Please enter your name."]
        if self.parent_check and data.get("parent_id") and "url" in data:
            problem = self.parent_check(data["url"], data["parent_id"])
            if problem:
                errors["parent_id"] = [problem]
        if errors:
            raise ValidationError(errors)

    @post_load
    def strip_body(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["body"] = data["body"].strip()
        return data


class Timestamp(fields.Field):
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


class ThreadSchema(Schema):
    url = fields.String(required=True)
    total = fields.Integer(required=True)
    comments = fields.List(fields.Nested(PublicCommentSchema), required=True)


class ThreadQuerySchema(Schema):
    url = ArticleURL(required=True, error_messages=_required("Give the article address as url."))


class CountsQuerySchema(Schema):
    url = fields.List(
        ArticleURL(),
        required=True,
        validate=validate.Length(min=1, max=100, error="Ask for between 1 and 100 articles."),
        error_messages=_required("Give one or more article addresses as url."),
    )


class FormTokenSchema(Schema):
    token = fields.String(required=True)


class CountsSchema(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
