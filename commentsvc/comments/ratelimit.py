"""Posting limits per client IP, counted in Redis so every worker agrees.

Fixed windows: each configured rate is a counter per client that Redis expires at
the end of its window. The counting is the first part of the post's one Redis
round trip (``COUNT_RATES``, run by the spam pipeline's script, see
``commentsvc.spam.model``): a post costs no round trip of its own for its limits,
whatever the number of rates. A post is counted once its fields are valid.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from redis.exceptions import RedisError

from commentsvc.config import Rate
from commentsvc.store.redis_failures import note, refuses_writes
from commentsvc.web.errors import TooManyRequests, Unavailable

REFUSED = (
    "Posting is paused: the rate limit cannot be counted because Redis refuses writes. "
    "Please try again later."
)
_PREFIX = "commentsvc:rate:"

# The start of a script: KEYS[1..n] one counter per rate, ARGV[1] n, then
# ARGV[2i], ARGV[2i+1] the amount and window of rate i. Leaves in ``wait`` 0 when the
# post is allowed, else the seconds until the fullest window starts again.
COUNT_RATES = """
local rates = tonumber(ARGV[1])
local wait = 0
for i = 1, rates do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 or redis.call('TTL', KEYS[i]) < 0 then
    redis.call('EXPIRE', KEYS[i], ARGV[2 * i + 1])
  end
  if count > tonumber(ARGV[2 * i]) then
    wait = math.max(wait, redis.call('TTL', KEYS[i]), 1)
  end
end
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


@dataclass(frozen=True)
class RateCounters:
    """One client's counters, for the script that counts the post (``COUNT_RATES``
    first: its KEYS and ARGV go first), and what follows from its answer."""

    keys: list[str]
    args: list[int]  # the number of rates, then each one's amount and window

    @staticmethod
    def refuse(wait: int) -> None:
        """TooManyRequests when the script left a wait."""
        if wait:
            raise TooManyRequests(retry_after=wait)

    @staticmethod
    def failed(exc: RedisError) -> None:
        """With Redis down, posting goes on unlimited rather than failing: the
        comment is kept in the database and queued when Redis is back. A Redis that
        answers but refuses to count (full under ``noeviction``, a read-only replica)
        is another matter: it would let anyone post without limit for as long as it
        lasts, so the post is refused with a 503 that says so."""
        if refuses_writes(exc):
            note("rate limit", exc, "post refused")
            raise Unavailable(REFUSED) from exc
        note("rate limit", exc, "post accepted without a limit")


class PostLimiter:
    def __init__(self, rates: tuple[Rate, ...], ipv6_prefix: int = 64) -> None:
        self.rates = rates
        self.ipv6_prefix = ipv6_prefix
        self._args = [
            len(rates),
            *(value for rate in rates for value in (rate.amount, rate.seconds)),
        ]

    def counters(self, client_ip: str | None) -> RateCounters:
        """The counters a post by ``client_ip`` is counted on."""
        client = client_key(client_ip or "unknown", self.ipv6_prefix)
        keys = [f"{_PREFIX}{rate.amount}/{rate.seconds}:{client}" for rate in self.rates]
        return RateCounters(keys, self._args)
