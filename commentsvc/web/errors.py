"""The one JSON error envelope, for every error the service answers.

``{"error": {"code": 422, "message": "...", "fields": {"email": ["..."]}}}``

Services raise ``ServiceError`` subclasses; views never build error answers
themselves. Everything else (werkzeug's HTTP errors, marshmallow's
``ValidationError``, unexpected exceptions) is turned into the same envelope here.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from marshmallow import ValidationError
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException

from commentsvc.web.i18n import request_language, translate

log = logging.getLogger(__name__)

# Messages a reader understands, for the HTTP errors werkzeug raises by itself.
_MESSAGES = {
    400: "The request could not be understood.",
    401: "A valid moderator token is required.",
    403: "This is not allowed.",
    404: "There is nothing here.",
    405: "This method is not allowed here.",
    409: "This was changed meanwhile.",
    413: "The comment is too large.",
    415: "Send the data as JSON or as a form.",
    429: "You are posting too fast. Please wait a moment and try again.",
    500: "Something went wrong on our side. Please try again later.",
    503: "The service is temporarily unavailable.",
}


class ServiceError(Exception):
    code = 400
    message = _MESSAGES[400]

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        # More of the envelope: the fields of a refused value, the state of a conflict.
        self.extra = extra


class BadRequest(ServiceError):
    code = 400


class Unauthorized(ServiceError):
    code = 401
    message = _MESSAGES[401]


class Forbidden(ServiceError):
    code = 403


class NotFound(ServiceError):
    code = 404


class Conflict(ServiceError):
    code = 409


class TooManyRequests(ServiceError):
    code = 429
    message = _MESSAGES[429]

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class Unavailable(ServiceError):
    code = 503
    message = _MESSAGES[503]


def field_errors(messages: dict[str, Any] | list[Any]) -> dict[str, list[str]]:
    """Flatten marshmallow's messages to one list of strings per field."""
    if isinstance(messages, list):
        return {"_schema": [str(message) for message in messages]}
    flat: dict[str, list[str]] = {}
    for name, value in messages.items():
        if isinstance(value, dict):
            value = [message for nested in value.values() for message in nested]
        flat[str(name)] = [str(message) for message in value]
    return flat


def envelope(
    code: int, message: str, fields: dict[str, list[str]] | None = None, **extra: Any
) -> Response:
    language = request_language()
    error: dict[str, Any] = {"code": code, "message": translate(message, language)}
    if fields:
        error["fields"] = {
            name: [translate(text, language) for text in texts] for name, texts in fields.items()
        }
    error.update(extra)
    response = jsonify({"error": error})
    response.status_code = code
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    return response


def _http_error(exc: HTTPException) -> Response:
    code = exc.code or 500
    response = envelope(code, _MESSAGES.get(code, exc.name))
    # Keep what werkzeug knows (Allow on 405).
    allow = exc.get_response().headers.get("Allow")
    if allow:
        response.headers["Allow"] = allow
    return response


def _validation_error(exc: ValidationError) -> Response:
    fields = field_errors(exc.messages)
    names = ", ".join(sorted(fields))
    return envelope(422, f"Please correct the highlighted fields: {names}.", fields)


def _service_error(exc: ServiceError) -> Response:
    response = envelope(exc.code, exc.message, **exc.extra)
    if exc.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="commentsvc"'
    if isinstance(exc, TooManyRequests):
        # At most the window's length: by then the count has started again.
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _redis_error(exc: RedisError) -> Response:
    # A failure no caller labelled (``redis_failures.required`` names what failed).
    from commentsvc.store import redis_failures

    redis_failures.note("request", exc, "answered 503")
    return envelope(503, redis_failures.unavailable_message(exc))


def _unexpected_error(exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return envelope(500, _MESSAGES[500])


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(RedisError, _redis_error)
    app.register_error_handler(Exception, _unexpected_error)
