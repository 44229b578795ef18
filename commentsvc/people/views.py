"""Data rights for moderators: a person's data by email address, exported or erased."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from marshmallow import EXCLUDE

from commentsvc.deps import deps
from commentsvc.moderation.auth import current_moderator, moderator_required
from commentsvc.people import services
from commentsvc.people.schemas import (
    ErasureQuerySchema,
    ErasureSchema,
    PersonExportSchema,
    PersonSchema,
)
from commentsvc.store import database as db

blueprint = Blueprint("people", __name__, url_prefix="/api/v1/moderation/people")

_person = PersonSchema()
_erasure_query = ErasureQuerySchema(unknown=EXCLUDE)
_export = PersonExportSchema()
_erasure = ErasureSchema()


@blueprint.get("/<email>")
@moderator_required
def export(email: str) -> Any:
    address = _person.load({"email": email})["email"]
    return _export.dump(services.export_person(db.session(), address))


@blueprint.delete("/<email>")
@moderator_required
def erase(email: str) -> Any:
    address = _person.load({"email": email})["email"]
    with_comments = _erasure_query.load(request.args)["with_comments"]
    settings = deps().settings
    assert settings.secret_key  # create_app always fills it in
    erasure = services.erase_person(
        db.session(), deps().cache, deps().queue, address, current_moderator().name,
        settings.secret_key, with_comments=with_comments,
    )  # fmt: skip
    return _erasure.dump(erasure)
