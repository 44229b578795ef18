"""Serves the embed (``embed/embed.js`` and its CSS) with caching headers.

The files are read, hashed and gzipped once at start-up; a request answers from
memory: 304 for a matching ETag, the gzipped bytes when the browser takes them.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from flask import Blueprint, Flask, Response, request

from commentsvc.deps import deps

# The widget's source lives at the top of the repository (embed/); installed, it is
# the package data commentsvc.embed_assets (see pyproject.toml).
SOURCE_DIR = Path(__file__).parents[2] / "embed"
MAX_AGE = 3600  # browsers revalidate hourly: a new release reaches readers within the hour
ASSETS = {"embed.js": "text/javascript; charset=utf-8", "embed.css": "text/css; charset=utf-8"}

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


def load_assets() -> dict[str, Asset]:
    assets = {}
    for name, content_type in ASSETS.items():
        body = _read(name)
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


def init_app(app: Flask) -> None:
    """Serve the assets ``load_assets`` read (kept in the app's registry)."""
    app.register_blueprint(blueprint)
