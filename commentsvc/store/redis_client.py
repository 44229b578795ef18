"""The app's Redis client: short timeouts, because Redis being slow or down must
never hold up a reader; the database is the source of truth.

``make_redis`` is the one place a client is made (the app, the CLI commands), for a
plain URL or for Redis Sentinel: ``redis+sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT
...]/MASTER_NAME[/DB]``. Through Sentinel every new connection asks the Sentinels
for the primary's address, so after a fail-over the client follows the promoted
replica without a restart: connections to the old primary break, the pool drops
them, and the next command connects to the new one. Lua scripts need nothing more:
redis-py runs them with EVALSHA and loads them again when the new primary answers
NOSCRIPT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from redis import Redis
from redis.sentinel import Sentinel

from commentsvc.config import without_password

SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_PORT = 26379


@dataclass(frozen=True)
class SentinelAddress:
    sentinels: tuple[tuple[str, int], ...]
    master_name: str
    db: int
    password: str | None


def is_sentinel_url(url: str) -> bool:
    return url.lower().startswith(SENTINEL_SCHEME + "://")


def parse_sentinel_url(url: str) -> SentinelAddress:
    """The parts of a ``redis+sentinel://`` URL; ValueError saying what is wrong."""
    example = "redis+sentinel://:PASSWORD@host1:26379,host2:26379/mymaster/0"
    parts, shown = urlsplit(url), without_password(url)
    if parts.scheme.lower() != SENTINEL_SCHEME:
        raise ValueError(f"{shown!r} is not a Sentinel URL such as {example}")
    credentials, _, hosts = parts.netloc.rpartition("@")
    password = unquote(credentials.partition(":")[2]) if credentials else None
    sentinels = []
    for item in hosts.split(","):
        host, colon, port = item.strip().rpartition(":")
        if not colon:
            host, port = item.strip(), str(SENTINEL_PORT)
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{item.strip()!r} is not a Sentinel HOST:PORT (as in {example})")
        sentinels.append((host.strip("[]"), int(port)))
    path = [segment for segment in parts.path.split("/") if segment]
    if not path or len(path) > 2:
        raise ValueError(f"{shown!r} must name the primary: /MASTER_NAME or /MASTER_NAME/DB")
    if len(path) == 2 and not path[1].isdigit():
        raise ValueError(f"{path[1]!r} is not a database number (as in {example})")
    return SentinelAddress(tuple(sentinels), path[0], int(path[1]) if len(path) == 2 else 0,
                           password or None)  # fmt: skip


def make_redis(url: str, timeout_seconds: float, password: str | None = None) -> Redis:
    """A client for ``url``; ``password`` (COMMENTSVC_REDIS_PASSWORD) when the URL has none."""
    options: dict[str, Any] = {
        "socket_timeout": timeout_seconds,
        "socket_connect_timeout": timeout_seconds,
        "health_check_interval": 30,
    }
    if is_sentinel_url(url):
        address = parse_sentinel_url(url)
        # The Sentinels get the same timeouts: asking them is part of connecting.
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            list(address.sentinels),
            sentinel_kwargs={
                key: options[key] for key in ("socket_timeout", "socket_connect_timeout")
            },
        )
        client: Redis = sentinel.master_for(  # type: ignore[no-untyped-call]
            address.master_name,
            db=address.db,
            password=address.password or password,
            **options,
        )
        return client
    if password is not None and not urlsplit(url).password:
        options["password"] = password
    return Redis.from_url(url, **options)


def dedicated_connection(client: Redis, **overrides: Any) -> Any:
    """A connection of its own, never in the client's pool, for something that holds
    it (key tracking, a subscription). Made like the pool's, so through Sentinel it
    asks the Sentinels for the primary on every (re)connect and follows a fail-over."""
    pool = client.connection_pool
    return pool.connection_class(**{**pool.connection_kwargs, **overrides})
