"""The app's Redis client: short timeouts, because Redis being slow or down must
never hold up a reader; the database is the source of truth."""

from __future__ import annotations

from redis import Redis


def make_redis(url: str, timeout_seconds: float) -> Redis:
    return Redis.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        health_check_interval=30,
    )
