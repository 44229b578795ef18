"""Settings from the environment: read in one place, typed, validated.

Every variable carries the ``COMMENTSVC_`` prefix. A bad value stops start-up with
a ``ConfigError`` that names the variable and says what is wrong with it.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from commentsvc.comments.urls import origin

PREFIX = "COMMENTSVC_"


class ConfigError(ValueError):
    """A configuration variable has a value the service cannot run with."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = PREFIX + variable
        self.problem = problem
        super().__init__(f"{self.variable}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in the start-up child process too, and sent back to the parent.
        return (type(self), (self.variable.removeprefix(PREFIX), self.problem))


def _origin(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{value!r} must be an origin only (scheme, host and port, no path)")
    try:
        return origin(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an origin such as https://blog.example.com") from None


def parse_sites(value: str) -> tuple[str, ...]:
    return tuple(_origin(item) for item in value.split(",") if item.strip())


def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{value!r} is not a yes/no value (use true or false)")


def parse_zero_or_more(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"{value!r} must not be negative")
    return number


def parse_at_least_one(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"{value!r} must be 1 or more")
    return number


def parse_ipv6_prefix(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 128:
        raise ValueError(f"{value!r} is not an IPv6 prefix length (1 to 128, usually 64)")
    return number


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def parse_log_level(value: str) -> str:
    level = value.upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"{value!r} is not a log level (use one of {', '.join(LOG_LEVELS)})")
    return level


def parse_positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(f"{value!r} must be greater than zero")
    return number


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


def parse_rate_limit(value: str) -> str:
    parse_rates(value)
    return value.strip()


def parse_fraction(value: str) -> float:
    number = float(value)
    if not 0 < number <= 1:
        raise ValueError(f"{value!r} must be a number above 0 and at most 1, such as 0.9")
    return number


def parse_one_rate(value: str) -> Rate:
    rates = parse_rates(value)
    if len(rates) != 1:
        raise ValueError(f"{value!r} must be one rate, such as 3 per 10 minutes")
    return rates[0]


def parse_words(value: str) -> tuple[str, ...]:
    return tuple(word.strip().lower() for word in value.split(",") if word.strip())


def parse_url(schemes: tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        scheme = urlsplit(value).scheme.split("+")[0]
        if scheme not in schemes:
            raise ValueError(f"{value!r} must start with one of {', '.join(schemes)}")
        return value

    return check


def parse_webhook_urls(value: str) -> tuple[str, ...]:
    urls = tuple(item.strip() for item in value.split(",") if item.strip())
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http:// or https:// address")
    return urls


def parse_mail_address(value: str) -> str:
    from email.utils import parseaddr

    _name, address = parseaddr(value)
    if "@" not in address:
        raise ValueError(f"{value!r} is not an email address such as comments@example.com")
    return value


def parse_redis_url(value: str) -> str:
    """A Redis URL, or a ``redis+sentinel://`` one whose parts are checked here so
    that a mistake stops start-up rather than the first request."""
    from commentsvc.store.redis_client import is_sentinel_url, parse_sentinel_url

    if is_sentinel_url(value):
        parse_sentinel_url(value)
        return value
    return parse_url(("redis", "rediss", "unix", "valkey"))(value)


def parse_public_url(value: str) -> str:
    """The service's public address: an http(s) URL, maybe with a path prefix
    (``https://example.com/comments``), kept without a trailing slash."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an address such as https://comments.example.com")
    if parts.query or parts.fragment:
        raise ValueError(f"{value!r} must have no query or fragment")
    return value.rstrip("/")


def without_password(url: str) -> str:
    """``url`` fit to print: a password in it (``user:PASSWORD@``, ``?password=``)
    shown as ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(name.lower() == "password" for name, _value in pairs):
        query = urlencode(
            [(name, "***" if name.lower() == "password" else value) for name, value in pairs],
            safe="*",
        )
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    shown = f"{parts.scheme}://{netloc}{parts.path}"
    return shown + (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")


SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


def persistent_secret_key(data_dir: Path) -> str:
    """The secret key kept in the data directory, created on first use (readable by
    its owner only), so that signed links survive restarts. Several processes
    starting at once all end up with the one that was written first."""
    path = data_dir / SECRET_KEY_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(
            "SECRET_KEY", f"is not set and {path} cannot be written: {exc.strerror}"
        ) from None
    else:
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_urlsafe(48))
    for _attempt in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.01)  # written by another process this very moment
    raise ConfigError("SECRET_KEY", f"is not set and {path} is empty")


def _setting(parse: Callable[[str], Any] | None = None, default: Any = None, **kwargs: Any) -> Any:
    metadata = {"parse": parse or (lambda value: value)}
    if "default_factory" in kwargs:
        return field(metadata=metadata, **kwargs)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = _setting(Path, default=Path("data"))
    # None means "derive from data_dir": SQLite file / embedded Redis server.
    database_url: str | None = _setting(parse_url(("sqlite", "postgresql", "postgres")))
    redis_url: str | None = _setting(parse_redis_url)
    # For a Redis URL (plain or Sentinel) that carries no password of its own.
    redis_password: str | None = _setting()
    # Empty means every origin may have comments (a first try-out); serve warns about it.
    sites: tuple[str, ...] = _setting(parse_sites, default=())
    # None: kept in DATA_DIR/secret_key (see ``with_secret_key``).
    secret_key: str | None = _setting()
    # The address readers and moderators reach the service at (snippet, links in mails).
    public_url: str | None = _setting(parse_public_url)
    post_rate_limit: str = _setting(parse_rate_limit, default="5/minute")
    # One IPv6 subscriber gets a whole /64 (or more): counted per address, each of
    # its 2**64 addresses would be a fresh limit.
    ipv6_rate_limit_prefix: int = _setting(parse_ipv6_prefix, default=64)
    moderation_lease_seconds: float = _setting(parse_positive_float, default=300.0)
    requeue_interval_seconds: float = _setting(parse_positive_float, default=15.0)
    requeue_in_background: bool = _setting(parse_bool, default=True)
    check_email_deliverability: bool = _setting(parse_bool, default=False)
    blocked_words: tuple[str, ...] = _setting(
        parse_words, default=("viagra", "casino", "crypto giveaway", "payday loan")
    )
    max_links: int = _setting(parse_zero_or_more, default=2)
    # At or above this learned score a comment is spam without waiting for a moderator.
    spam_threshold: float = _setting(parse_fraction, default=0.9)
    # More comments than this from one address or email in the window: "flood".
    flood_limit: Rate = _setting(parse_one_rate, default=Rate(3, 600))
    trusted_proxies: int = _setting(parse_zero_or_more, default=0)
    redis_timeout_seconds: float = _setting(parse_positive_float, default=0.5)
    thread_cache_seconds: int = _setting(parse_at_least_one, default=300)
    # How long a reader may change or take back their own comment after posting it.
    edit_window_seconds: int = _setting(parse_at_least_one, default=900)
    workers: int = _setting(parse_at_least_one, default=max(2, (os.cpu_count() or 1) * 2))
    worker_timeout_seconds: int = _setting(parse_at_least_one, default=30)
    log_level: str = _setting(parse_log_level, default="INFO")
    # Notifications: mail to moderators and readers, webhooks, and their delivery.
    smtp_url: str | None = _setting(parse_url(("smtp", "smtps")))
    mail_from: str | None = _setting(parse_mail_address)
    webhook_urls: tuple[str, ...] = _setting(parse_webhook_urls, default=())
    worker_in_serve: bool = _setting(parse_bool, default=True)
    worker_interval_seconds: float = _setting(parse_positive_float, default=2.0)
    notification_retry_seconds: float = _setting(parse_positive_float, default=30.0)
    notification_give_up_seconds: float = _setting(parse_positive_float, default=6 * 3600.0)
    notification_lease_seconds: float = _setting(parse_positive_float, default=120.0)
    moderator_mail_interval_seconds: float = _setting(parse_positive_float, default=60.0)
    # How long a comment keeps its author's IP address (and a spam or rejected one its
    # email): long enough to look into abuse, no longer.
    ip_retention_days: int = _setting(parse_at_least_one, default=90)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in fields(cls):
            variable = setting.name.upper()
            raw = environ.get(PREFIX + variable)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[setting.name] = setting.metadata["parse"](raw.strip())
            except (TypeError, ValueError) as exc:
                raise ConfigError(variable, str(exc)) from None
        values.update(overrides)
        return cls(**values)

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **overrides)

    def with_secret_key(self) -> Settings:
        """These settings with the secret key filled in from the data directory if unset."""
        if self.secret_key:
            return self
        return replace(self, secret_key=persistent_secret_key(self.data_dir))

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'commentsvc.sqlite3').resolve()}"
