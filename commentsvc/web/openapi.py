"""The OpenAPI 3 document, generated from the same marshmallow schemas the views
load and dump with, so the documentation cannot drift from the code."""

from __future__ import annotations

from typing import Any

import orjson
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app
from marshmallow import Schema, fields

from commentsvc.comments.schemas import (
    CommentCreateSchema,
    CountsSchema,
    CreatedCommentSchema,
    ThreadSchema,
    Timestamp,
)
from commentsvc.moderation.schemas import DecidedCommentSchema, DecisionSchema, QueueSchema
from commentsvc.people.schemas import ErasureSchema, PersonExportSchema


class ErrorDetailSchema(Schema):
    code = fields.Integer(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()), data_key="fields"
    )
    checks = fields.Dict(keys=fields.String(), values=fields.String())


class ErrorEnvelopeSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


def _json(schema: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, **_json("ErrorEnvelope")}


def _url_parameter(description: str, *, many: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "format": "uri"}
    if many:
        schema = {"type": "array", "items": schema, "minItems": 1, "maxItems": 100}
    return {
        "in": "query",
        "name": "url",
        "required": True,
        "schema": schema,
        "description": description,
        **({"style": "form", "explode": True} if many else {}),
    }


BEARER = [{"moderatorToken": []}]
COMMENT_ID = {
    "in": "path",
    "name": "comment_id",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
AUTH_ERRORS = {"401": _error("No token, or a wrong one")}

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/comments": {
        "get": {
            "summary": "Approved comments of an article, oldest first",
            "parameters": [_url_parameter("The article's address")],
            "responses": {
                "200": {"description": "The article's thread", **_json("Thread")},
                "304": {"description": "Not modified since the ETag in If-None-Match"},
                "422": _error("A missing or malformed url"),
            },
        },
        "post": {
            "summary": "Post a comment; it waits for moderation",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": "CommentCreate"},
                    "application/x-www-form-urlencoded": {"schema": "CommentCreate"},
                },
            },
            "responses": {
                "202": {"description": "Stored, waiting for moderation", **_json("CreatedComment")},
                "303": {"description": "Form posts: back to the article"},
                "400": _error("Malformed body"),
                "403": _error("The article is not on a configured site"),
                "413": _error("Too large"),
                "422": _error("Bad fields, all of them reported at once"),
                "429": _error("Too many posts from this address"),
            },
        },
    },
    "/api/v1/counts": {
        "get": {
            "summary": "Approved comment counts of many articles",
            "parameters": [_url_parameter("Article addresses", many=True)],
            "responses": {
                "200": {"description": "Counts by the address as asked", **_json("Counts")},
                "422": _error("Missing or malformed url"),
            },
        }
    },
    "/api/v1/moderation/queue": {
        "get": {
            "summary": "Pending comments, claimed for the calling moderator",
            "security": BEARER,
            "parameters": [
                {
                    "in": "query",
                    "name": "limit",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
                }
            ],
            "responses": {
                "200": {"description": "Claimed comments", **_json("Queue")},
                "422": _error("A bad limit"),
                "503": _error("Redis is not answering"),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/moderation/comments/{comment_id}": {
        "parameters": [COMMENT_ID],
        "post": {
            "summary": "Approve, reject or mark as spam",
            "security": BEARER,
            "requestBody": {"required": True, **_json("Decision")},
            "responses": {
                "200": {"description": "The decision", **_json("DecidedComment")},
                "400": _error("Malformed body"),
                "404": _error("No such comment"),
                "422": _error("An unknown action"),
                **AUTH_ERRORS,
            },
        },
        "delete": {
            "summary": "Delete a comment for good",
            "security": BEARER,
            "responses": {
                "204": {"description": "Deleted"},
                "404": _error("No such comment"),
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/moderation/people/{email}": {
        "parameters": [
            {
                "in": "path",
                "name": "email",
                "required": True,
                "schema": {"type": "string", "maxLength": 254},
                "description": "The person's email address, normalised as on posting",
            }
        ],
        "get": {
            "summary": "Everything kept about a person: their comments in every status",
            "security": BEARER,
            "responses": {
                "200": {"description": "The person's data", **_json("PersonExport")},
                "404": _error("Nothing is kept for this address"),
                "422": _error("Not an email address"),
                **AUTH_ERRORS,
            },
        },
        "delete": {
            "summary": "Erase a person: name, email, website and IP of their comments, "
            "their trust mark; with with_comments=true the comments too",
            "security": BEARER,
            "parameters": [
                {
                    "in": "query",
                    "name": "with_comments",
                    "schema": {"type": "boolean", "default": False},
                    "description": "Delete the comments too (their replies move up)",
                }
            ],
            "responses": {
                "200": {"description": "What was changed", **_json("Erasure")},
                "404": _error("Nothing is kept for this address"),
                "422": _error("Not an email address, or a bad with_comments"),
                **AUTH_ERRORS,
            },
        },
    },
    "/healthz": {
        "get": {
            "summary": "Whether the database and Redis answer",
            "responses": {
                "200": {"description": "Both answer", **_json("Health")},
                "503": _error("Which one does not"),
            },
        }
    },
}

SCHEMAS: dict[str, type[Schema]] = {
    "CommentCreate": CommentCreateSchema,
    "CreatedComment": CreatedCommentSchema,
    "Thread": ThreadSchema,
    "Counts": CountsSchema,
    "Queue": QueueSchema,
    "Decision": DecisionSchema,
    "DecidedComment": DecidedCommentSchema,
    "PersonExport": PersonExportSchema,
    "Erasure": ErasureSchema,
    "ErrorEnvelope": ErrorEnvelopeSchema,
    "Health": HealthSchema,
}


def build_spec() -> dict[str, Any]:
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title="commentsvc",
        version="1",
        openapi_version="3.0.3",
        plugins=[marshmallow],
        info={"description": "Comments for article pages, moderated through a queue."},
    )
    marshmallow.map_to_openapi_type(Timestamp, "string", "date-time")
    spec.components.security_scheme("moderatorToken", {"type": "http", "scheme": "bearer"})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for path, item in PATHS.items():
        operations = {key: value for key, value in item.items() if key != "parameters"}
        spec.path(path=path, operations=operations, parameters=item.get("parameters"))
    return spec.to_dict()


blueprint = Blueprint("openapi", __name__)


@blueprint.get("/api/v1/openapi.json")
def openapi_document() -> Response:
    return Response(current_app.extensions["commentsvc.web.openapi"], mimetype="application/json")


def init_app(app: Flask) -> None:
    app.extensions["commentsvc.web.openapi"] = orjson.dumps(build_spec())
    app.register_blueprint(blueprint)
