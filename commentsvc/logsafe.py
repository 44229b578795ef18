"""Log lines that cannot be forged.

Paths, article URLs, names and exception messages in log lines come from
whoever sent the request. A ``\\n`` in one would start a made-up line in the log
("... 200 ...\\n2026-12-01 ERROR admin logged in"); a ``\\r`` or an escape sequence
could hide or rewrite one on a terminal. Every message is escaped when it is put
together, in one place (the log record), so no call site can forget it. A
traceback, added by the formatter after the message, keeps its lines.
"""

from __future__ import annotations

import logging
import re

# C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    character = match.group()
    if character in _NAMED:
        return _NAMED[character]
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` on one line: control characters written as escapes (``\\n``, ``\\x1b``)."""
    return _UNSAFE.sub(_escaped, text)


class OneLineRecord(logging.LogRecord):
    """A log record whose message is always one line of printable text."""

    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return escape(super().getMessage())


def install() -> None:
    """Make every log record of this process a ``OneLineRecord`` (idempotent)."""
    if logging.getLogRecordFactory() is not OneLineRecord:
        logging.setLogRecordFactory(OneLineRecord)
