"""Signed links in mails: moderators' decisions (one use, 7 days), readers' opt-in
confirmation (7 days) and unsubscribe (no expiry, so an old mail still works).

Signed with the service's secret key (itsdangerous, HMAC-SHA256): a link cannot be
made or changed without it, and changing the key invalidates every link sent.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

LINK_MAX_AGE_SECONDS = 7 * 86400


class LinkPurpose(enum.StrEnum):
    DECIDE = "decide"
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"


# How long each kind of link works; None: for good.
MAX_AGE = {
    LinkPurpose.DECIDE: LINK_MAX_AGE_SECONDS,
    LinkPurpose.CONFIRM: LINK_MAX_AGE_SECONDS,
    LinkPurpose.UNSUBSCRIBE: None,
}


class LinkProblem(Exception):
    """A link that cannot be used; ``status`` is the page's HTTP status."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


FORGED = LinkProblem(
    403,
    "This link is not valid",
    "This link was not made by this comment service, was changed, or was sent before "
    "the service's secret key was changed. Nothing was done.",
)
EXPIRED = LinkProblem(
    410,
    "This link has expired",
    "Links in notification mails work for 7 days. Nothing was done; "
    "use the moderation page instead.",
)
USED = LinkProblem(
    410,
    "This link was used already",
    "Each link in a notification mail works once. Nothing was done this time.",
)


class Links:
    def __init__(self, secret_key: str, public_url: str) -> None:
        self.serializer = URLSafeTimedSerializer(secret_key, salt="commentsvc.notifications")
        self.public_url = public_url.rstrip("/")

    def token(self, purpose: LinkPurpose, **data: Any) -> str:
        if purpose == LinkPurpose.DECIDE:
            data["n"] = secrets.token_urlsafe(12)  # the id that makes it one-use
        return str(self.serializer.dumps({"p": purpose.value, **data}))

    def url(self, purpose: LinkPurpose, **data: Any) -> str:
        return f"{self.public_url}/notifications/{purpose.value}/{self.token(purpose, **data)}"

    def read(self, purpose: LinkPurpose, token: str) -> dict[str, Any]:
        """The link's data, or LinkProblem (forged, expired)."""
        try:
            data = self.serializer.loads(token, max_age=MAX_AGE[purpose])
        except SignatureExpired:
            raise EXPIRED from None
        except BadSignature:
            raise FORGED from None
        if not isinstance(data, dict) or data.get("p") != purpose.value:
            raise FORGED
        return data


def link_id(data: dict[str, Any]) -> str:
    """The id stored once a one-use link is used."""
    return hashlib.sha256(f"{data['p']}:{data['n']}".encode()).hexdigest()
