"""Imports run in-process against the test app's database, queue and cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from commentsvc.importers.core import ImportReport, URLMap
from commentsvc.importers.run import ImportOptions, after_commit, import_file

Importer = Callable[..., ImportReport]


@pytest.fixture
def run_import(app: Any) -> Importer:
    """Import a file as ``commentsvc import --from SOURCE`` does."""
    dependencies = app.extensions["commentsvc"]

    def run(source: str, path: Path, *, maps: tuple[str, ...] = (), site: bool = False,
            with_pingbacks: bool = False, dry_run: bool = False) -> ImportReport:  # fmt: skip
        options = ImportOptions(
            source, path, URLMap.parse(maps), dependencies.settings.sites if site else None,
            with_pingbacks=with_pingbacks, dry_run=dry_run,
        )  # fmt: skip
        with dependencies.database.sessions() as session:
            report = import_file(session, options)
        if not dry_run:
            after_commit(report, dependencies.queue, dependencies.cache)
        return report

    return run


@pytest.fixture
def thread(client: Any) -> Callable[[str], list[dict[str, Any]]]:
    """The public comments of an article, as a reader's page gets them."""

    def read(url: str) -> list[dict[str, Any]]:
        response = client.get("/api/v1/comments", query_string={"url": url})
        assert response.status_code == 200, response.json
        comments: list[dict[str, Any]] = response.json["comments"]
        return comments

    return read
