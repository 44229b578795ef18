"""Importing a Disqus export: threads by link, replies by parent, deleted and spam
posts kept out of sight, posts of missing threads reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from commentsvc.web.errors import BadRequest
from tests.conftest import SITE
from tests.importers.exports import DATA, disqus
from tests.importers.test_wordpress import count_rows, stored, write

TO_OUR_SITE = (f"http://example.org={SITE}", f"http://localhost:4000={SITE}")


def test_the_isso_fixture_keeps_threads_replies_and_deleted_posts_out_of_sight(
    run_import: Any, thread: Any, app: Any
) -> None:
    report = run_import("disqus", DATA / "isso-disqus.xml", maps=TO_OUR_SITE)

    assert report.stored == {"approved": 4, "rejected": 1}
    assert report.skipped == {"its thread is not in the file": 1}
    assert report.missing_threads == {"1337"}
    assert "threads referred to but not in the file: 1337" in report.lines()
    home = thread(f"{SITE}/")
    peter = next(c for c in home if c["author"]["name"] == "peter")
    replies = [c for c in home if c["author"]["name"] == "user"]
    assert [c["html"] for c in replies] == ["<p>Hello, World.</p>"] * 2
    # One answers peter; the reply to the deleted post is public, at the top level.
    assert sorted([c["parent_id"] or 0 for c in replies]) == [0, peter["id"]]
    assert len(thread(f"{SITE}/blog/2013/02/12/redacted/index.html")) == 1
    deleted = [c for c in stored(app) if c.status == "rejected"]
    assert len(deleted) == 1 and deleted[0].origin == "disqus:9"


def test_the_remark42_broken_export_is_refused_with_its_line_and_nothing_is_written(
    run_import: Any, app: Any
) -> None:
    with pytest.raises(BadRequest) as refused:
        run_import("disqus", DATA / "remark42-disqus-broken.xml")

    assert refused.value.message == (
        "remark42-disqus-broken.xml is not well-formed XML: not well-formed (invalid token) "
        "at line 1, column 1. Nothing was imported."
    )
    assert count_rows(app) == (0, 0)


def test_spam_and_html_and_a_second_export_with_new_posts(
    run_import: Any, thread: Any, tmp_path: Path
) -> None:
    article = f"{SITE}/disqus/"
    posts = [
        {"id": "10", "thread": "1", "message": "<p>First <b>post</b></p><p>two</p>"},
        {"id": "11", "thread": "1", "parent": "10", "message": "<p>reply</p>"},
        {"id": "12", "thread": "1", "isSpam": "true", "message": "<p>buy now</p>"},
    ]
    run_import("disqus", write(tmp_path, disqus({"1": article}, posts), "one.xml"))
    later = [*posts, {"id": "13", "thread": "1", "parent": "11", "message": "<p>deeper</p>"}]
    report = run_import("disqus", write(tmp_path, disqus({"1": article}, later), "two.xml"))

    assert report.stored == {"approved": 1}
    assert report.skipped == {"already imported": 3}
    page = {c["html"]: c for c in thread(article)}
    assert set(page) == {"<p>First <strong>post</strong></p>\n<p>two</p>", "<p>reply</p>",
                         "<p>deeper</p>"}  # fmt: skip
    assert page["<p>deeper</p>"]["parent_id"] == page["<p>reply</p>"]["id"]


def test_a_file_that_is_not_a_disqus_export_is_named_so(run_import: Any) -> None:
    with pytest.raises(BadRequest, match="this is not a Disqus export"):
        run_import("disqus", DATA / "isso-wordpress.xml")
