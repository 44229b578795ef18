"""Mail: the messages (plain text and HTML, escaped) and sending them over SMTP.

``COMMENTSVC_SMTP_URL``: ``smtp://user:pass@host:port`` (``?starttls=true`` to
upgrade), or ``smtps://`` (TLS from the start).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment

from commentsvc.config import parse_bool

SMTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class CommentInMail:
    """What a mail says about one comment; ``links`` are (label, URL) pairs."""

    id: int
    url: str
    author_name: str
    author_email: str
    body: str
    spam_score: float
    spam_reasons: list[str]
    links: list[tuple[str, str]]


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    # Paragraphs of plain text before the comments, and lines after them.
    intro: list[str]
    comments: list[CommentInMail]
    outro: list[tuple[str, str]]  # (label, URL)
    reply_to: str | None = None
    unsubscribe_url: str | None = None
    show_author_email: bool = False


_environment = Environment(autoescape=True)
_html = _environment.from_string(
    """<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">
{% for paragraph in mail.intro %}<p>{{ paragraph }}</p>{% endfor %}
{% for comment in mail.comments %}<hr>
<p><b>{{ comment.author_name }}</b>{% if mail.show_author_email %} &lt;{{ comment.author_email }}&gt;{% endif %}
on <a href="{{ comment.url }}">{{ comment.url }}</a></p>
{% if mail.show_author_email %}<p>Spam score {{ "%.2f"|format(comment.spam_score) }}
{%- if comment.spam_reasons %}: {{ comment.spam_reasons|join(", ") }}{% endif %}</p>{% endif %}
<blockquote style="white-space:pre-wrap;border-left:3px solid #ccc;padding-left:1em">{{ comment.body }}</blockquote>
<p>{% for label, link in comment.links %}<a href="{{ link }}">{{ label }}</a>{% if not loop.last %} · {% endif %}{% endfor %}</p>
{% endfor %}{% if mail.outro %}<hr><p>{% for label, link in mail.outro %}<a href="{{ link }}">{{ label }}</a><br>{% endfor %}</p>{% endif %}
</body></html>"""  # noqa: E501
)


def _text(mail: Mail) -> str:
    lines: list[str] = []
    for paragraph in mail.intro:
        lines += [paragraph, ""]
    for comment in mail.comments:
        author = comment.author_name
        if mail.show_author_email:
            author += f" <{comment.author_email}>"
        lines += ["-" * 60, f"{author} on {comment.url}"]
        if mail.show_author_email:
            reasons = ", ".join(comment.spam_reasons) or "none"
            lines.append(f"Spam score {comment.spam_score:.2f}; reasons: {reasons}")
        lines += ["", *(f"> {line}" for line in comment.body.splitlines()), ""]
        lines += [f"{label}: {link}" for label, link in comment.links]
        lines.append("")
    if mail.outro:
        lines.append("-" * 60)
        lines += [f"{label}: {link}" for label, link in mail.outro]
    return "\n".join(lines) + "\n"


def build_message(mail: Mail, sender: str, delivery_id: str) -> EmailMessage:
    """The message; its Message-ID comes from the delivery id, so a retry of the same
    delivery is recognisably the same message."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{delivery_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(_text(mail))
    message.add_alternative(_html.render(mail=mail), subtype="html")
    return message


def reply_to_address(name: str, email: str) -> str:
    return formataddr((name, email))


class Mailer:
    def __init__(self, smtp_url: str, sender: str) -> None:
        self.url = urlsplit(smtp_url)
        self.sender = sender
        query = parse_qs(self.url.query)
        self.starttls = parse_bool(query.get("starttls", ["false"])[0])

    def send(self, message: EmailMessage) -> None:
        """Raises OSError / smtplib.SMTPException when the server does not take it."""
        host = self.url.hostname or "localhost"
        smtp: smtplib.SMTP
        if self.url.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(
                host, self.url.port or 465, timeout=SMTP_TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )  # fmt: skip
        else:
            smtp = smtplib.SMTP(host, self.url.port or 25, timeout=SMTP_TIMEOUT_SECONDS)
        with smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.url.username:
                smtp.login(unquote(self.url.username), unquote(self.url.password or ""))
            smtp.send_message(message)


def mailer_of(settings: Any) -> Mailer | None:
    if not settings.smtp_url or not settings.mail_from:
        return None
    return Mailer(settings.smtp_url, settings.mail_from)
