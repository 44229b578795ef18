"""Posting limits per client IP, counted in Redis so every worker agrees.

Fixed windows: each configured rate is a counter per client that Redis expires at
the end of its window. One script counts the post against every rate at once, so
a post costs one round trip, whatever the number of rates.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

from commentsvc.errors import TooManyRequests

log = logging.getLogger(__name__)

UNIT_SECONDS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}
# "5/minute", "100 per hour", "3 per 10 minutes"; the setting joins several with ";".
RATE = re.compile(
    r"^\s*(?P<amount>\d+)\s*(?:/|per)\s*(?P<count>\d+\s*)?"
    r"(?P<unit>second|minute|hour|day|month|year)s?\s*$",
    re.IGNORECASE,
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


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int


def parse_rates(value: str) -> tuple[Rate, ...]:
    """The rates of a COMMENTSVC_POST_RATE_LIMIT value; ValueError if one is not a rate."""
    rates = []
    for part in value.split(";"):
        match = RATE.match(part)
        if match is None:
            raise ValueError(f"{value!r} is not a rate such as 5/minute or 100 per hour")
        count = int(match["count"] or 1)
        rates.append(Rate(int(match["amount"]), count * UNIT_SECONDS[match["unit"].lower()]))
    return tuple(rates)


class PostLimiter:
    def __init__(self, redis: Redis, rates: tuple[Rate, ...]) -> None:
        self.rates = rates
        self._count_post = redis.register_script(_COUNT_POST)
        self._args = [value for rate in rates for value in (rate.amount, rate.seconds)]

    def count_post(self, client_ip: str) -> None:
        """Count one post by ``client_ip``; TooManyRequests if over a rate. With
        Redis down, posting goes on unlimited rather than failing: no comment is lost."""
        keys = [f"{_PREFIX}{rate.amount}/{rate.seconds}:{client_ip}" for rate in self.rates]
        try:
            wait = int(self._count_post(keys=keys, args=self._args))
        except RedisError as exc:
            log.warning("rate limit not checked, Redis is not answering: %s", exc)
            return
        if wait:
            raise TooManyRequests(retry_after=wait)
