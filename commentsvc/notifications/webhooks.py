"""Webhooks: a signed JSON POST for each comment waiting for moderation.

The body is fixed when the delivery is made; every attempt sends the same bytes
with the same ``X-Commentsvc-Delivery``. ``?format=discord`` on a URL sends
Discord's shape (``{"content": ...}``) instead, to the URL without that parameter.
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.request
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

WEBHOOK_TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Commentsvc-Signature"
DELIVERY_HEADER = "X-Commentsvc-Delivery"


class WebhookFailed(Exception):
    pass


def target_and_body(url: str, event: str, comment: dict[str, Any], text: str) -> tuple[str, bytes]:
    """Where to POST and what, for one configured URL."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in query if key != "format"]
    formats = {value for key, value in query if key == "format"}
    target = urlunsplit(parts._replace(query=urlencode(kept)))
    if "discord" in formats:
        # Discord refuses a message over 2000 characters.
        return target, orjson.dumps({"content": text[:2000]})
    return target, orjson.dumps({"event": event, "comment": comment, "text": text})


def signature(secret_key: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret_key.encode(), body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, secret_key: str, delivery_id: str) -> None:
    """Raises WebhookFailed unless the receiver answers 2xx within the timeout."""
    request = urllib.request.Request(  # noqa: S310 - the operator's configured http(s) URL
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "commentsvc-webhook",
            SIGNATURE_HEADER: signature(secret_key, body),
            DELIVERY_HEADER: delivery_id,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        raise WebhookFailed(f"{url} answered {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise WebhookFailed(f"{url}: {exc}") from None
    if not 200 <= status < 300:
        raise WebhookFailed(f"{url} answered {status}")
