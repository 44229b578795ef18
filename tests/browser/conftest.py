"""The embed in Chromium: the real service (real Redis, real database) on one port,
a demo article page on another origin, as on a real site."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from commentsvc.runtime.embedded_redis import free_port
from tests.conftest import bearer

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


def article_html(service: str, *, head: str = "", attributes: str = "") -> str:
    """A plain article with DESIGN.md's two-line snippet pasted in."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hello world</title>{head}</head>
<body><main><h1>Hello world</h1><p>An article worth discussing.</p>
<div id="comments"></div>
<script src="{service}/embed.js" async{attributes}></script>
</main></body></html>"""


@dataclass
class ArticleSite:
    """Serves pages on its own origin: path -> (html, extra headers)."""

    origin: str
    pages: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def add(self, path: str, html: str, headers: dict[str, str] | None = None) -> str:
        self.pages[path] = (html, headers or {})
        return self.origin + path


@pytest.fixture(scope="session")
def article_site() -> Iterator[ArticleSite]:
    yield from _site()


@pytest.fixture(scope="session")
def foreign_site() -> Iterator[ArticleSite]:
    """Another website, on an origin of its own."""
    yield from _site()


def _site() -> Iterator[ArticleSite]:
    port = free_port()
    site = ArticleSite(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            if path not in site.pages:
                self.send_error(404)
                return
            html, headers = site.pages[path]
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield site
    server.shutdown()


@dataclass
class Widget:
    service: str
    site: ArticleSite
    client: Any
    auth: dict[str, str]

    def article(self, path: str = "/post", **kwargs: Any) -> str:
        headers = kwargs.pop("headers", None)
        return self.site.add(path, article_html(self.service, **kwargs), headers)

    def post(self, url: str, **fields: Any) -> dict[str, Any]:
        payload = {"url": url, "name": "Grace", "email": "grace@example.com", "body": "Hello"}
        payload.update(fields)
        answer = self.client.post("/api/v1/comments", json=payload)
        assert answer.status_code == 202, answer.json
        return dict(answer.json)

    def decide(self, comment_id: int, action: str = "approve") -> None:
        answer = self.client.post(
            f"/api/v1/moderation/comments/{comment_id}", json={"action": action}, headers=self.auth
        )
        assert answer.status_code == 200

    def published(self, url: str, **fields: Any) -> dict[str, Any]:
        comment = self.post(url, **fields)
        self.decide(comment["id"])
        return comment


@pytest.fixture
def widget(
    make_app: Any,
    serve_app: Callable[[Any], str],
    article_site: ArticleSite,
    make_moderator: Callable[[str], str],
) -> Widget:
    app = make_app(sites=(article_site.origin,), post_rate_limit="1000/minute")
    return Widget(serve_app(app), article_site, app.test_client(), bearer(make_moderator("alice")))
