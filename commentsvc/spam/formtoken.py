"""The widget's form token: when the form was shown, signed by the service.

The embed asks for a token when a reader starts on the form and posts it back with
the comment. A person needs more than a few seconds to fill in a name, an email and
a comment; a script posting right after fetching the form does not. The token is
the time it was made and an HMAC of it with the secret key, so every worker and
instance can check it without storing anything.

A comment without a token is fine: API clients and plain HTML forms have none.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

# Faster than this from the form being shown to the comment arriving is a script.
MIN_SECONDS = 3.0
_CONTEXT = b"commentsvc form token\x00"


def _signature(secret_key: str, issued_ms: str) -> str:
    mac = hmac.new(secret_key.encode(), _CONTEXT + issued_ms.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def issue(secret_key: str, now: float | None = None) -> str:
    issued_ms = str(int((time.time() if now is None else now) * 1000))
    return f"{issued_ms}.{_signature(secret_key, issued_ms)}"


@dataclass(frozen=True)
class TokenCheck:
    valid: bool
    seconds: float = 0.0  # from the token being issued to now

    def reason(self) -> str | None:
        if not self.valid:
            return "form token: not one this service gave out"
        if self.seconds < MIN_SECONDS:
            return f"too fast: posted {self.seconds:.1f} s after the form was shown"
        return None


def check(secret_key: str, token: str, now: float | None = None) -> TokenCheck:
    issued_ms, _, signature = token.partition(".")
    if not issued_ms.isdigit() or len(issued_ms) > 15:
        return TokenCheck(valid=False)
    if not hmac.compare_digest(signature, _signature(secret_key, issued_ms)):
        return TokenCheck(valid=False)
    seconds = (time.time() if now is None else now) - int(issued_ms) / 1000
    if seconds < -60:  # issued in the future: not by this service's clock
        return TokenCheck(valid=False)
    return TokenCheck(valid=True, seconds=max(0.0, seconds))
