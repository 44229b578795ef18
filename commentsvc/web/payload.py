"""Reading request bodies the same way everywhere."""

from __future__ import annotations

from typing import Any

from flask import request

from commentsvc.web.errors import BadRequest

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
