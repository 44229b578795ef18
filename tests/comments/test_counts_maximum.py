"""GET /api/v1/counts takes its documented 100 article addresses through the real
server (gunicorn), POST takes the same query in a body, and more is a 422 in the
JSON envelope."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.conftest import SITE
from tests.test_cli import embedded_env, serving

# Ordinary article addresses of 60 characters, and longer ones.
URLS = [f"{SITE}/2026/11/an-ordinary-article-no-{n:04d}" for n in range(101)]
LONG_URLS = [
    f"{SITE}/2026/11/an-article-whose-title-is-longer-than-most-{n:03d}" for n in range(100)
]


def send(url: str, body: bytes | None = None, content_type: str = "") -> tuple[int, str, Any]:
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


def test_the_documented_maximum_of_counts_works_and_more_is_the_envelope(tmp_path: Path) -> None:
    env = embedded_env(tmp_path, SITES=SITE, WORKERS="1")
    hundred = urlencode([("url", url) for url in URLS[:100]])
    too_many = urlencode([("url", url) for url in URLS])
    long_hundred = urlencode([("url", url) for url in LONG_URLS])
    assert len(URLS[0]) == 60
    assert len(f"GET /api/v1/counts?{hundred} HTTP/1.1") > 4094  # gunicorn's default

    with serving(env) as (base, _server):
        got = send(f"{base}/api/v1/counts?{hundred}")
        refused = send(f"{base}/api/v1/counts?{too_many}")
        posted_json = send(
            f"{base}/api/v1/counts", json.dumps({"url": URLS[:100]}).encode(), "application/json"
        )
        posted_form = send(
            f"{base}/api/v1/counts", hundred.encode(), "application/x-www-form-urlencoded"
        )
        too_long = send(f"{base}/api/v1/counts?{long_hundred}")
        posted_long = send(
            f"{base}/api/v1/counts", long_hundred.encode(), "application/x-www-form-urlencoded"
        )
        posted_too_many = send(
            f"{base}/api/v1/counts", json.dumps({"url": URLS}).encode(), "application/json"
        )

    expected = {url: 0 for url in URLS[:100]}
    assert got == (200, "application/json", {"counts": expected})
    assert posted_json == got and posted_form == got
    assert too_long[:2] == (414, "application/json")
    assert "POST /api/v1/counts" in too_long[2]["error"]["message"]
    assert posted_long == (200, "application/json", {"counts": {url: 0 for url in LONG_URLS}})
    for status, content_type, body in (refused, posted_too_many):
        assert (status, content_type) == (422, "application/json")
        assert body["error"]["fields"]["url"] == ["Ask for between 1 and 100 articles."]
