"""Serves the embed (``embed/embed.js``, its CSS, its languages, ``count.js``) with
caching headers.

The files are read, compacted, hashed and gzipped once at start-up; a request
answers from memory: 304 for a matching ETag, the gzipped bytes when the browser
takes them. Compacting drops what only a reader of the source needs (comments,
indentation): the source stays the file to read, with no build step.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from flask import Blueprint, Flask, Response, request

from commentsvc.deps import deps
from commentsvc.web.errors import NotFound

# The widget's source lives at the top of the repository (embed/); installed, it is
# the package data commentsvc.embed_assets (see pyproject.toml).
SOURCE_DIR = Path(__file__).parents[2] / "embed"
MAX_AGE = 3600  # browsers revalidate hourly: a new release reaches readers within the hour
JS = "text/javascript; charset=utf-8"
# The widget's languages besides English (built into embed.js), fetched when used.
LANGUAGES = ("ar", "de", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru", "uk", "zh")
ASSETS = {
    "embed.js": JS,
    "embed.css": "text/css; charset=utf-8",
    "count.js": JS,
    **{f"lang/{code}.json": "application/json" for code in LANGUAGES},
}

blueprint = Blueprint("embed", __name__)


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str
    content_type: str


def _read(name: str) -> bytes:
    if (SOURCE_DIR / name).is_file():
        return (SOURCE_DIR / name).read_bytes()
    return resources.files("commentsvc.embed_assets").joinpath(name).read_bytes()


_CSS_COMMENT = re.compile(rb"/\*.*?\*/", re.DOTALL)
_CSS_SPACE_AROUND = re.compile(rb"\s*([{};,])\s*")
_JS_COMMENT_LINE = re.compile(rb"^[ \t]*//.*\n", re.MULTILINE)
_INDENT = re.compile(rb"^[ \t]+", re.MULTILINE)


def compact(name: str, body: bytes) -> bytes:
    """The file without comments and indentation. For the JavaScript only whole-line
    comments go (a ``//`` within a line may be inside a string), and the leading
    block comment; newlines stay, so statements end where they did."""
    if name.endswith(".css"):
        body = _CSS_COMMENT.sub(b"", body)
        return _CSS_SPACE_AROUND.sub(rb"\1", re.sub(rb"\s+", b" ", body)).strip()
    if name.endswith(".js"):
        if body.startswith(b"/*"):
            body = body[body.index(b"*/") + 2 :]
        return _INDENT.sub(b"", _JS_COMMENT_LINE.sub(b"", body)).strip() + b"\n"
    return body


def load_assets() -> dict[str, Asset]:
    assets = {}
    for name, content_type in ASSETS.items():
        body = compact(name, _read(name))
        assets[name] = Asset(
            body=body,
            gzipped=gzip.compress(body, compresslevel=9, mtime=0),
            etag=hashlib.blake2b(body, digest_size=12).hexdigest(),
            content_type=content_type,
        )
    return assets


def _serve(name: str) -> Response:
    asset = deps().embed_assets[name]
    if asset.etag in request.if_none_match:
        response = Response(status=304)
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = Response(asset.gzipped, content_type=asset.content_type)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(asset.body, content_type=asset.content_type)
    response.set_etag(asset.etag)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.vary.add("Accept-Encoding")
    # The widget loads on other sites' pages: let them, and nothing else.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.get("/embed.js")
def embed_js() -> Response:
    return _serve("embed.js")


@blueprint.get("/embed.css")
def embed_css() -> Response:
    return _serve("embed.css")


@blueprint.get("/count.js")
def count_js() -> Response:
    return _serve("count.js")


@blueprint.get("/embed/lang/<code>.json")
def embed_language(code: str) -> Response:
    if code not in LANGUAGES:
        raise NotFound("The widget does not speak this language yet.")
    response = _serve(f"lang/{code}.json")
    # Fetched by the widget from the article's page: the same strings for every site.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def init_app(app: Flask) -> None:
    """Serve the assets ``load_assets`` read (kept in the app's registry)."""
    app.register_blueprint(blueprint)
