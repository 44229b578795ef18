"""Posting limits per client IP, counted in Redis so every worker agrees.

Fixed windows: each configured rate is a counter per client that Redis expires at
the end of its window. One script counts the post against every rate at once, so
a post costs one round trip, whatever the number of rates.
"""

from __future__ import annotations

import ipaddress

from redis import Redis
from redis.exceptions import RedisError

from commentsvc.config import Rate
from commentsvc.store.redis_failures import note, refuses_writes
from commentsvc.web.errors import TooManyRequests, Unavailable

REFUSED = (
    "Posting is paused: the rate limit cannot be counted because Redis refuses writes. "
    "Please try again later."
)
_PREFIX = "commentsvc:rate:"

# KEYS: one counter per rate. ARGV: amount, window seconds, for each. Answers 0 when
# the post is allowed, else the seconds until the fullest window starts again.
_COUNT_POST = """
local wait = 0
for i = 1, #KEYS do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 or redis.call('TTL', KEYS[i]) < 0 then
    redis.call('EXPIRE', KEYS[i], ARGV[2 * i])
  end
  if count > tonumber(ARGV[2 * i - 1]) then
    wait = math.max(wait, redis.call('TTL', KEYS[i]), 1)
  end
end
return wait
"""


def client_key(client_ip: str, ipv6_prefix: int) -> str:
    """Who is counted: an IPv4 address, or the IPv6 network of ``ipv6_prefix`` bits the
    address is in (an IPv4 address written as IPv6 counts as itself)."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, ipv6_prefix), strict=False))
    return str(address)


class PostLimiter:
    def __init__(self, redis: Redis, rates: tuple[Rate, ...], ipv6_prefix: int = 64) -> None:
        self.rates = rates
        self.ipv6_prefix = ipv6_prefix
        self._count_post = redis.register_script(_COUNT_POST)
        self._args = [value for rate in rates for value in (rate.amount, rate.seconds)]

    def count_post(self, client_ip: str) -> None:
        """Count one post by ``client_ip``; TooManyRequests if over a rate.

        With Redis down, posting goes on unlimited rather than failing: the comment is
        kept in the database and queued when Redis is back. A Redis that answers but
        refuses to count (full under ``noeviction``, a read-only replica) is another
        matter: it would let anyone post without limit for as long as it lasts, so the
        post is refused with a 503 that says so."""
        client = client_key(client_ip, self.ipv6_prefix)
        keys = [f"{_PREFIX}{rate.amount}/{rate.seconds}:{client}" for rate in self.rates]
        try:
            wait = int(self._count_post(keys=keys, args=self._args))
        except RedisError as exc:
            if refuses_writes(exc):
                note("rate limit", exc, "post refused")
                raise Unavailable(REFUSED) from exc
            note("rate limit", exc, "post accepted without a limit")
            return
        if wait:
            raise TooManyRequests(retry_after=wait)
