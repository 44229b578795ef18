"""Comments beyond the widget: the thread as an HTML fragment, and Atom feeds."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request
from marshmallow import EXCLUDE

from commentsvc.comments import feeds, services
from commentsvc.comments.fragment import FragmentCache
from commentsvc.comments.schemas import SiteQuerySchema, ThreadQuerySchema
from commentsvc.deps import deps
from commentsvc.store import database as db
from commentsvc.web.errors import NotFound

blueprint = Blueprint("comment_pages", __name__)

_thread_query = ThreadQuerySchema(unknown=EXCLUDE)
_site_query = SiteQuerySchema(unknown=EXCLUDE)
_fragments = FragmentCache()
FEED_MAX_AGE = 300  # feed readers poll; five minutes late is on time for them


def _answer(body: bytes, etag: str, content_type: str, cache_control: str) -> Response:
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(body, content_type=content_type)
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.get("/api/v1/comments.html")
def thread_fragment() -> Response:
    url = _thread_query.load(request.args)["url"]
    services.check_site(deps().settings.sites, url)
    page = services.public_page(db.session, deps().cache, url)
    assert page.body is not None  # asked without an ETag: the page always comes
    # Revalidated on every view like the JSON page, so a decision shows at once.
    fragment = _fragments.fragment(page.etag, page.body)
    return _answer(fragment, f"html-{page.etag}", "text/html; charset=utf-8", "public, no-cache")


def _feed(feed: feeds.Feed, entries: list) -> Response:  # type: ignore[type-arg]
    body = feeds.render_feed(feed, entries)
    etag = hashlib.blake2b(body, digest_size=12).hexdigest()
    return _answer(body, etag, "application/atom+xml; charset=utf-8",
                   f"public, max-age={FEED_MAX_AGE}")  # fmt: skip


def _self_url() -> str:
    base = deps().settings.public_url or request.host_url.rstrip("/")
    return base + request.full_path.rstrip("?")


@blueprint.get("/feeds/comments.atom")
def article_feed() -> Response:
    url = _thread_query.load(request.args)["url"]
    services.check_site(deps().settings.sites, url)
    entries = feeds.article_entries(db.session(), url)
    return _feed(feeds.Feed(_self_url(), f"Comments on {url}", url), entries)


@blueprint.get("/feeds/site.atom")
def site_feed() -> Response:
    origin = _site_query.load(request.args)["site"]
    sites = deps().settings.sites
    if sites and origin not in sites:
        raise NotFound("There is no comment feed for this website.")
    entries = feeds.site_entries(db.session(), origin)
    return _feed(feeds.Feed(_self_url(), f"Comments on {origin}", origin + "/"), entries)
