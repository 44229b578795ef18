"""The moderation console at ``/moderate``: a static page that works the moderation
API with the moderator's token. Served only here, under the strict
Content-Security-Policy of every HTML answer (``web.headers``); its script and
stylesheet are plain static files."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from commentsvc.web.errors import NotFound
from commentsvc.web.headers import HTML_HEADERS

blueprint = Blueprint("moderation_page", __name__)

PAGE = "moderate.html"


@blueprint.get("/moderate")
def moderation_page() -> Response:
    response = current_app.send_static_file(PAGE)
    response.headers.update(HTML_HEADERS)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get(f"/static/{PAGE}")
def not_the_page() -> Response:
    # The static route would serve the page's file too; the page lives at /moderate.
    raise NotFound("The moderation page is at /moderate.")
