"""Importing an Isso database: paths mapped to the site, modes to statuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from commentsvc.web.errors import BadRequest
from tests.conftest import SITE
from tests.importers.exports import isso_database
from tests.importers.test_wordpress import count_rows, stored

COMMENTS = [
    (1, 1, None, 1, "Hello *there*", "Ann", "ann@example.org", "https://ann.example/"),
    (2, 1, 1, 1, "A reply", None, None, None),
    (3, 1, 2, 2, "Waiting", "Bob", "bob@example.org", None),
    (4, 1, None, 4, "", None, None, None),
    (5, 1, 4, 1, "Reply to a deleted one", "Cy", "cy@example.org", None),
    (6, 2, None, 1, "<script>alert(1)</script>", "Eve", "eve@example.org", None),
]


@pytest.fixture
def isso_db(tmp_path: Path) -> Path:
    return isso_database(tmp_path / "comments.db", {1: "/2020/hello/", 2: "/about/"}, COMMENTS)


def test_paths_become_urls_through_the_map_and_modes_become_statuses(
    run_import: Any, thread: Any, app: Any, client: Any, auth: Any, isso_db: Path
) -> None:
    report = run_import("isso", isso_db, maps=(f"/={SITE}",))

    assert report.stored == {"approved": 4, "pending": 1, "rejected": 1}
    page = {c["html"]: c for c in thread(f"{SITE}/2020/hello/")}
    assert set(page) == {"<p>Hello <em>there</em></p>", "<p>A reply</p>",
                         "<p>Reply to a deleted one</p>"}  # fmt: skip
    assert page["<p>A reply</p>"]["parent_id"] == page["<p>Hello <em>there</em></p>"]["id"]
    assert page["<p>A reply</p>"]["author"] == {"name": "Anonymous", "website": None}
    assert page["<p>Hello <em>there</em></p>"]["created_at"] == "2020-01-02T03:04:05Z"
    assert thread(f"{SITE}/about/")[0]["html"] == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    queued = client.get("/api/v1/moderation/queue", headers=auth).json["comments"]
    assert [c["html"] for c in queued] == ["<p>Waiting</p>"]
    assert {c.origin for c in stored(app)} == {f"isso:comments:{n}" for n in range(1, 7)}


def test_without_a_map_nothing_is_imported_and_the_report_says_why(
    run_import: Any, app: Any, isso_db: Path
) -> None:
    report = run_import("isso", isso_db)

    assert sum(report.stored.values()) == 0
    assert report.skipped == {
        "article address is not a full http(s) URL (rewrite it with --map)": 6
    }
    assert count_rows(app) == (0, 0)


def test_a_second_run_adds_nothing(run_import: Any, app: Any, isso_db: Path) -> None:
    run_import("isso", isso_db, maps=(f"={SITE}",))
    again = run_import("isso", isso_db, maps=(f"={SITE}",))

    assert again.skipped == {"already imported": 6}
    assert count_rows(app) == (2, 6)


def test_a_file_that_is_not_an_isso_database_is_refused(run_import: Any, tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database")

    with pytest.raises(BadRequest, match="is not an Isso database"):
        run_import("isso", path)
