"""The OpenAPI 3 document, generated from the same marshmallow schemas the views
load and dump with, so the documentation cannot drift from the code.

Built on the first request for it: the code that builds it (apispec) is loaded only
by a worker that is asked for the document."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from flask import Blueprint, Flask, Response
from marshmallow import Schema, fields

from commentsvc.comments.limits import COUNTS_MAX, QUEUE_LIMIT_MAX
from commentsvc.comments.models import CommentStatus
from commentsvc.comments.schemas import (
    CommentCreateSchema,
    CommentEditSchema,
    CountsQuerySchema,
    CountsSchema,
    CreatedCommentSchema,
    FormTokenSchema,
    OwnCommentSchema,
    ThreadSchema,
    Timestamp,
)
from commentsvc.importers.wordpress_form import WordPressCommentFormSchema
from commentsvc.moderation.schemas import (
    QUEUE_LIMIT_DEFAULT,
    SEARCH_MAX,
    AuthorSummarySchema,
    AuthorTrustSchema,
    BulkDecisionSchema,
    BulkResultSchema,
    CommentListSchema,
    DecidedCommentSchema,
    DecisionSchema,
    HistorySchema,
    ModeratedCommentSchema,
    QueueSchema,
    TrustChangeSchema,
)
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


def _json_or_form(schema: str) -> dict[str, Any]:
    """A body sent as JSON by scripts, or form-encoded by a plain HTML form."""
    types = ("application/json", "application/x-www-form-urlencoded")
    return {"required": True, "content": {kind: {"schema": schema} for kind in types}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, **_json("ErrorEnvelope")}


def _atom(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/atom+xml": {"schema": {"type": "string"}}},
    }


def _url_parameter(description: str, *, many: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "format": "uri"}
    if many:
        schema = {"type": "array", "items": schema, "minItems": 1, "maxItems": COUNTS_MAX}
    return {
        "in": "query",
        "name": "url",
        "required": True,
        "schema": schema,
        "description": description,
        **({"style": "form", "explode": True} if many else {}),
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"in": "query", "name": name, "schema": schema, "description": description}


BEARER: list[dict[str, list[str]]] = [{"moderatorToken": []}]
AUTHOR: list[dict[str, list[str]]] = [{"editToken": []}]
COMMENT_ID = {
    "in": "path",
    "name": "comment_id",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
AUTH_ERRORS = {"401": _error("No token, or a wrong one")}
NOT_A_SITE = "An article outside the configured sites (COMMENTSVC_SITES)"


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


LINK_TOKEN = {
    "in": "path",
    "name": "token",
    "required": True,
    "schema": {"type": "string"},
    "description": "The signed token of a link in a notification mail",
}
LINK_ERRORS = {
    "403": _html("A forged link, one signed with an earlier secret key, or a removed moderator's"),
    "404": _html("The comment was deleted"),
    "410": _html("An expired link, or a one-use link used already"),
}


def _link_page(shows: str, does: str, *, form_body: bool = False) -> dict[str, Any]:
    """A link from a mail: GET shows a page with a button, only the POST acts."""
    post: dict[str, Any] = {
        "summary": does,
        "responses": {"200": _html("Done"), **LINK_ERRORS},
    }
    if form_body:
        post["requestBody"] = {
            "required": False,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}
                        },
                    }
                }
            },
        }
    return {
        "parameters": [LINK_TOKEN],
        "get": {"summary": shows, "responses": {"200": _html("The page"), **LINK_ERRORS}},
        "post": post,
    }


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/comments": {
        "get": {
            "summary": "Approved comments of an article, oldest first",
            "parameters": [_url_parameter("The article's address")],
            "responses": {
                "200": {"description": "The article's thread", **_json("Thread")},
                "304": {"description": "Not modified since the ETag in If-None-Match"},
                "403": _error(NOT_A_SITE),
                "422": _error("A missing or malformed url (the first one given)"),
            },
        },
        "post": {
            "summary": "Post a comment; it waits for moderation",
            "requestBody": _json_or_form("CommentCreate"),
            "responses": {
                "202": {"description": "Stored, waiting for moderation", **_json("CreatedComment")},
                "200": {
                    "description": "Form posts from a page of another website than the "
                    "article's: a page with a link back to the article (never a redirect "
                    "to another website)",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
                "303": {"description": "Form posts: back to the article"},
                "400": _error("Malformed body"),
                "403": _error(
                    "The article is not on a configured site, or the request was sent by "
                    "a page of another website (its Origin, else Referer)"
                ),
                "413": _error("Too large"),
                "422": _error("Bad fields, all of them reported at once"),
                "429": _error("Too many posts from this address"),
                "503": _error("Posting is paused: Redis refuses writes, posts cannot be counted"),
            },
            "links": {
                "decide": {
                    "operationId": "decideComment",
                    "parameters": {"comment_id": "$response.body#/id"},
                },
                "delete": {
                    "operationId": "deleteComment",
                    "parameters": {"comment_id": "$response.body#/id"},
                },
            },
        },
    },
    "/api/v1/comments/form-token": {
        "get": {
            "summary": "A signed token for a comment form being shown; post it back as "
            "form_token (a comment posted seconds after the form was shown is flagged)",
            "responses": {"200": {"description": "The token", **_json("FormToken")}},
        }
    },
    "/api/v1/counts": {
        "get": {
            "summary": "Approved comment counts of many articles",
            "parameters": [_url_parameter("Article addresses", many=True)],
            "responses": {
                "200": {"description": "Counts by the address as asked", **_json("Counts")},
                "403": _error(NOT_A_SITE),
                "414": _error("The request line is too long: use POST"),
                "422": _error("Missing or malformed url, or more than 100"),
            },
        },
        "post": {
            "summary": "The same counts, the addresses in the body (for long lists)",
            "requestBody": _json_or_form("CountsQuery"),
            "responses": {
                "200": {"description": "Counts by the address as asked", **_json("Counts")},
                "400": _error("Malformed body"),
                "403": _error(NOT_A_SITE),
                "413": _error("Too large"),
                "422": _error("Missing or malformed url, or more than 100"),
            },
        },
    },
    "/api/v1/comments/{comment_id}": {
        "parameters": [COMMENT_ID],
        "patch": {
            "summary": "The author changes their comment, within the edit window",
            "description": "Authorization: Bearer EDIT_TOKEN, the edit_token of the POST's "
            "answer. A waiting comment changes at once; an edit of a published comment "
            "waits for moderation (edit_status: pending) while the published text stays.",
            "security": AUTHOR,
            "requestBody": {"required": True, **_json("CommentEdit")},
            "responses": {
                "200": {"description": "The comment", **_json("OwnComment")},
                "400": _error("Malformed body"),
                "403": _error("Not this comment's token"),
                "404": _error("No such comment"),
                "409": _error("The edit window is over, or the comment was decided"),
                "422": _error("A bad body"),
            },
        },
        "delete": {
            "summary": "The author takes their comment back, within the edit window",
            "security": AUTHOR,
            "responses": {
                "204": {"description": "Deleted"},
                "403": _error("Not this comment's token"),
                "404": _error("No such comment"),
                "409": _error("The edit window is over, or the comment was decided"),
            },
        },
    },
    "/api/v1/comments.html": {
        "get": {
            "summary": "The approved thread as an HTML fragment, for pages rendered on the server",
            "parameters": [_url_parameter("The article's address")],
            "responses": {
                "200": {
                    "description": "The thread's markup (the widget takes it over)",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
                "304": {"description": "Not modified since the ETag in If-None-Match"},
                "403": _error("The article is not on a configured site"),
                "422": _error("A missing or malformed url"),
            },
        }
    },
    "/feeds/comments.atom": {
        "get": {
            "summary": "Atom feed of an article's approved comments, newest first",
            "parameters": [_url_parameter("The article's address")],
            "responses": {
                "200": _atom("The feed"),
                "304": {"description": "Not modified since the ETag in If-None-Match"},
                "403": _error("The article is not on a configured site"),
                "422": _error("A missing or malformed url"),
            },
        }
    },
    "/feeds/site.atom": {
        "get": {
            "summary": "Atom feed of a site's approved comments, newest first",
            "parameters": [
                {
                    "in": "query",
                    "name": "site",
                    "required": True,
                    "schema": {"type": "string", "format": "uri"},
                    "description": "The site's origin, e.g. https://blog.example.com",
                }
            ],
            "responses": {
                "200": _atom("The feed"),
                "304": {"description": "Not modified since the ETag in If-None-Match"},
                "404": _error("The site is not a configured site"),
                "422": _error("A missing or malformed site"),
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
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": QUEUE_LIMIT_MAX,
                        "default": QUEUE_LIMIT_DEFAULT,
                    },
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
            "operationId": "decideComment",
            "summary": "Approve, reject or mark as spam, from any status",
            "security": BEARER,
            "requestBody": {"required": True, **_json("Decision")},
            "responses": {
                "200": {"description": "The decision", **_json("DecidedComment")},
                "400": _error("Malformed body"),
                "404": _error("No such comment"),
                "409": _error("Decided by someone else since expected_status"),
                "422": _error("An unknown action"),
                **AUTH_ERRORS,
            },
        },
        "patch": {
            "summary": "Correct a comment's text; it is rendered again, the old text kept in "
            "its history",
            "security": BEARER,
            "requestBody": {"required": True, **_json("CommentEdit")},
            "responses": {
                "200": {"description": "The comment, re-rendered", **_json("ModeratedComment")},
                "400": _error("Malformed body"),
                "404": _error("No such comment"),
                "422": _error("A missing, blank or too long body"),
                **AUTH_ERRORS,
            },
        },
        "delete": {
            "operationId": "deleteComment",
            "summary": "Delete a comment for good",
            "security": BEARER,
            "responses": {
                "204": {"description": "Deleted"},
                "404": _error("No such comment"),
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/moderation/comments": {
        "get": {
            "summary": "Comments by status, text, author or article, newest first; claims nothing",
            "security": BEARER,
            "parameters": [
                _query(
                    "status",
                    {"type": "string", "enum": [s.value for s in CommentStatus]},
                    "Only comments of this status (default: all)",
                ),
                _query(
                    "url",
                    {"type": "string", "format": "uri"},
                    "Only this article (normalised like a posted url)",
                ),
                _query(
                    "q",
                    {"type": "string", "maxLength": SEARCH_MAX},
                    "Text in the body or the author name, any case",
                ),
                _query(
                    "email",
                    {"type": "string", "format": "email"},
                    "Only this author (normalised like a posted email)",
                ),
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                    "Comments per page",
                ),
                _query(
                    "cursor",
                    {"type": "string", "maxLength": 20},
                    "next_cursor of the previous page",
                ),
            ],  # fmt: skip
            "responses": {
                "200": {"description": "A page of comments", **_json("CommentList")},
                "422": _error("A bad parameter"),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/moderation/comments/{comment_id}/history": {
        "parameters": [COMMENT_ID],
        "get": {
            "summary": "What happened to the comment, oldest first: posted, automatic "
            'decisions (by "rule: ..."), moderators\' decisions and edits',
            "security": BEARER,
            "responses": {
                "200": {"description": "The events", **_json("History")},
                "404": _error("No such comment (a deleted one is gone)"),
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/moderation/bulk": {
        "post": {
            "summary": "One decision for many comments; each is decided on its own, an "
            "unknown id is reported and the others stand",
            "security": BEARER,
            "requestBody": {"required": True, **_json("BulkDecision")},
            "responses": {
                "200": {"description": "The outcome per id", **_json("BulkResult")},
                "400": _error("Malformed body"),
                "422": _error("An unknown action, or no ids or more than 100"),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/moderation/authors/{email}": {
        "parameters": [
            {
                "in": "path",
                "name": "email",
                "required": True,
                "schema": {"type": "string", "format": "email"},
            }
        ],  # fmt: skip
        "get": {
            "summary": "An author's trust and comments by status",
            "security": BEARER,
            "responses": {
                "200": {"description": "The author", **_json("AuthorSummary")},
                "422": _error("Not an email address"),
                **AUTH_ERRORS,
            },
        },
        "put": {
            "summary": "Trust an author (their next comments are published at once), block "
            "them (straight to spam) or neither",
            "security": BEARER,
            "requestBody": {"required": True, **_json("TrustChange")},
            "responses": {
                "200": {"description": "The author's trust now", **_json("AuthorTrust")},
                "400": _error("Malformed body"),
                "422": _error("Not an email address, or an unknown trust"),
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
    "/api/v1/moderation/stream": {
        "get": {
            "summary": 'Live events: `event: pending` with `data: {"id": N}` for each '
            "comment that starts waiting, `decided` and `deleted` for other moderators' "
            "decisions. Each answer lasts about 25 seconds, then the client reconnects.",
            "security": BEARER,
            "responses": {
                "200": {
                    "description": "Server-sent events",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "503": _error("Redis is not answering"),
                **AUTH_ERRORS,
            },
        }
    },
    "/wp-comments-post.php": {
        "post": {
            "summary": "WordPress' comment form: a site leaving WordPress keeps its theme",
            "description": "Takes the fields of WordPress' own comment form and stores the "
            "comment like POST /api/v1/comments (same rate limit, sites, validation and spam "
            "rules). The article is redirect_to, else the Referer. Other fields "
            "(comment_post_ID, submit, nonces) are ignored. Refusals are a short HTML page "
            "for a browser (Accept: text/html), else the error envelope with WordPress' "
            "field names.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {"schema": "WordPressCommentForm"}
                },
            },
            "responses": {
                "303": {"description": "Stored; back to the article"},
                **{
                    code: {
                        "description": description,
                        "content": {
                            "application/json": {"schema": "ErrorEnvelope"},
                            "text/html": {"schema": {"type": "string"}},
                        },
                    }
                    for code, description in (
                        ("400", "Not a form, or no article (neither redirect_to nor Referer)"),
                        ("403", "The article is not on a configured site"),
                        ("413", "Too large"),
                        ("422", "Bad fields, all of them reported at once"),
                        ("429", "Too many posts from this address"),
                    )
                },
            },
        }
    },
    "/notifications/decide/{token}": _link_page(
        "A moderator's link: the comment and a button to approve, reject or mark it as spam",
        "Decide, once (signed link, 7 days)",
    ),
    "/notifications/confirm/{token}": _link_page(
        "A reader's opt-in confirmation page", "Confirm reply mail for this address"
    ),
    "/notifications/unsubscribe/{token}": _link_page(
        "A reader's unsubscribe page",
        "Unsubscribe this address from reply mail (also RFC 8058 one-click)",
        form_body=True,
    ),
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
    "CommentEdit": CommentEditSchema,
    "OwnComment": OwnCommentSchema,
    "Thread": ThreadSchema,
    "Counts": CountsSchema,
    "ModeratedComment": ModeratedCommentSchema,
    "CountsQuery": CountsQuerySchema,
    "FormToken": FormTokenSchema,
    "Queue": QueueSchema,
    "Decision": DecisionSchema,
    "DecidedComment": DecidedCommentSchema,
    "CommentList": CommentListSchema,
    "BulkDecision": BulkDecisionSchema,
    "BulkResult": BulkResultSchema,
    "History": HistorySchema,
    "TrustChange": TrustChangeSchema,
    "AuthorTrust": AuthorTrustSchema,
    "AuthorSummary": AuthorSummarySchema,
    "PersonExport": PersonExportSchema,
    "Erasure": ErasureSchema,
    "ErrorEnvelope": ErrorEnvelopeSchema,
    "Health": HealthSchema,
    "WordPressCommentForm": WordPressCommentFormSchema,
}


def build_spec() -> dict[str, Any]:
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title="commentsvc",
        version="1",
        openapi_version="3.0.3",
        plugins=[marshmallow],
        info={"description": "Comments for article pages, moderated through a queue."},
    )
    marshmallow.map_to_openapi_type(Timestamp, "string", "date-time")  # type: ignore[no-untyped-call]
    spec.components.security_scheme("moderatorToken", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("editToken", {"type": "http", "scheme": "bearer"})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for path, item in PATHS.items():
        operations = {key: value for key, value in item.items() if key != "parameters"}
        spec.path(path=path, operations=operations, parameters=item.get("parameters"))
    return spec.to_dict()


blueprint = Blueprint("openapi", __name__)


@cache
def document() -> bytes:
    """The document as JSON; the same for every app (it depends on the code only)."""
    return orjson.dumps(build_spec())


@blueprint.get("/api/v1/openapi.json")
def openapi_document() -> Response:
    return Response(document(), mimetype="application/json")


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
