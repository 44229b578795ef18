"""Article URLs, normalised so one article is one thread."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}

# Parameters that say where a reader came from, not which article they read.
TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga", "ref"}
)


class InvalidURL(ValueError):
    pass


def ascii_hostname(host: str) -> str:
    """The host as browsers send it: lower case, an internationalised name in its
    punycode form (``bücher.example`` -> ``xn--bcher-kva.example``)."""
    host = host.lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidURL(f"{host!r} is not a valid host name") from exc


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMETERS


def _split(url: str) -> tuple[SplitResult, str]:
    """The address's parts, and its ``scheme://host[:port]`` written one way: lower
    case, IPv6 hosts in brackets, no default port. InvalidURL unless http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidURL("not an http(s) URL")
    host = ascii_hostname(parts.hostname)
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return parts, f"{scheme}://{netloc}"


@lru_cache(maxsize=4096)  # pure, and every read asks it: popular articles are remembered
def normalize_article_url(url: str) -> str:
    """Lower-case scheme and host, drop the default port, the fragment and tracking
    parameters; an empty path becomes ``/``."""
    parts, article_origin = _split(url)
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    return f"{article_origin}{urlunsplit(('', '', parts.path or '/', query, ''))}"


@lru_cache(maxsize=1024)  # CORS asks it for every request's Origin header
def origin(url: str) -> str:
    """The origin of an http(s) address, as browsers send it in ``Origin``: lower-case
    scheme and host, no default port (``https://Blog.Example.com:443/a`` ->
    ``https://blog.example.com``). The one definition used by the configured sites,
    CORS and the site check; InvalidURL if it is not an http(s) address."""
    return _split(url)[1]
