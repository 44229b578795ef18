"""Reading request bodies the same way everywhere, and their size limit."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from commentsvc.comments.limits import BODY_MAX, EMAIL_MAX, NAME_MAX, URL_MAX, WEBSITE_MAX
from commentsvc.web.errors import BadRequest

# The largest comment a reader can write, in its largest encoding: a character takes
# up to 4 bytes of UTF-8, each byte 3 when percent-encoded in a form (12), and an
# emoji is a 12-byte surrogate pair of escapes in JSON. Plus room for field names,
# the honeypot and a reply's parent id.
MAX_REQUEST_BYTES = 12 * (BODY_MAX + NAME_MAX + EMAIL_MAX + WEBSITE_MAX + URL_MAX) + 8 * 1024
_READ_SIZE = 64 * 1024

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_form_post() -> bool:
    return request.mimetype in FORM_TYPES


def read_payload() -> dict[str, Any]:
    """The body as a dict: a JSON object, or the fields of a plain HTML form."""
    if is_form_post():
        return request.form.to_dict(flat=True)
    if request.mimetype == "application/json" or request.mimetype.endswith("+json"):
        payload = request.get_json(silent=True)
        if payload is None:
            raise BadRequest("The request body is not valid JSON.")
        if not isinstance(payload, dict):
            raise BadRequest("The request body must be a JSON object.")
        return payload
    raise BadRequest("Send the data as JSON (Content-Type: application/json) or as a form.")


def _read_streamed_body() -> None:
    """A body sent without a Content-Length (chunked) is read here, up to the limit:
    werkzeug would stop reading at the limit without a word, and a comment cut short
    would be stored (or refused as malformed). Over the limit it is a 413."""
    environ = request.environ
    if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    limit: int = current_app.config["MAX_CONTENT_LENGTH"]
    stream = environ["wsgi.input"]
    body = bytearray()
    while len(body) <= limit:
        piece = stream.read(_READ_SIZE)
        if not piece:
            break
        body += piece
    if len(body) > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(bytes(body))
    environ["CONTENT_LENGTH"] = str(len(body))


def init_app(app: Flask) -> None:
    app.config.update(MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES, MAX_FORM_MEMORY_SIZE=MAX_REQUEST_BYTES)
    app.before_request(_read_streamed_body)
