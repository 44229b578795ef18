"""The app factory: one registry of shared objects, each registered once."""

from __future__ import annotations

from typing import Any

from commentsvc.deps import EXTENSION, deps


def test_every_shared_object_is_in_the_one_registry(app: Any) -> None:
    registry = deps(app)

    assert set(app.extensions) == {EXTENSION}
    assert registry.queue.redis is registry.redis
    assert registry.requeue.queue is registry.queue
    assert registry.requeue.sessions is registry.database.sessions
    assert {"embed.js", "embed.css", "count.js", "lang/de.json"} <= set(registry.embed_assets)


def test_views_find_the_registry_of_their_own_app(make_app: Any) -> None:
    first, second = make_app(), make_app(sites=("https://other.example",))

    with first.app_context():
        first_sites = deps().settings.sites
    with second.app_context():
        second_sites = deps().settings.sites

    assert first_sites == ("https://blog.example.com",)
    assert second_sites == ("https://other.example",)
