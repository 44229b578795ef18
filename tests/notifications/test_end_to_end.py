"""A reader posts, the moderator's mail arrives, its link approves the comment; the
reader who asked for replies confirms, gets one mail per approved reply, and can
stop them with one click. Real SMTP server, real HTTP."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from commentsvc.moderation.services import add_moderator
from commentsvc.moderation.trust import Trust, set_trust
from tests.conftest import ARTICLE, comment_payload
from tests.notifications.conftest import html_of, links_in, run_until, text_of


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # a 303 is the answer itself


_opener = urllib.request.build_opener(_NoRedirects)
MODERATOR = "mod@example.com"
READER = "ada@example.com"


def http(method: str, url: str, data: Any = None, form: dict[str, str] | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:  # fmt: skip
    body = None
    headers = dict(headers or {})
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers.items())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers.items())


def public_bodies(base: str) -> list[str]:
    query = urllib.parse.urlencode({"url": ARTICLE})
    _status, body, _headers = http("GET", f"{base}/api/v1/comments?{query}")
    return [comment["html"] for comment in json.loads(body)["comments"]]


def moderator_token(live: Any, email: str | None = MODERATOR) -> str:
    with live.app.extensions["commentsvc"].database.sessions() as session:
        return add_moderator(session, "alice", email)


def test_a_comment_is_approved_from_the_moderators_mail_and_the_reader_hears_of_one_reply(
    live: Any, smtp_server: Any
) -> None:
    service = live(moderator_mail_interval_seconds=0.2)
    token = moderator_token(service)
    job = service.job()
    body = "Lovely <script>alert('x')</script> article & more"
    status, posted, _ = http("POST", f"{service.url}/api/v1/comments",
                             data=comment_payload(body=body, notify_replies=True))  # fmt: skip
    assert status == 202
    comment_id = json.loads(posted)["id"]

    [mail] = run_until(job, lambda: smtp_server.handler.to(MODERATOR))
    text, html = text_of(mail), html_of(mail)
    assert ARTICLE in text and "Ada Lovelace <ada@example.com>" in text and body in text
    assert re.search(r"Spam score 0\.\d\d", text)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert READER in mail["Reply-To"] and mail["Message-ID"].endswith("@example.com>")
    assert mail["Date"] and mail["From"] == "Comments <comments@example.com>"
    links = links_in(mail)
    assert set(links) >= {"Approve", "Reject", "Mark as spam", "Moderation page"}
    assert all(link.startswith(service.url + "/") for link in links.values())

    # Opening the link (what a mail scanner does too) decides nothing.
    status, page, headers = http("GET", links["Approve"])
    assert status == 200 and "Approve this comment" in page and "&lt;script&gt;" in page
    assert "script-src" not in headers["Content-Security-Policy"]
    assert public_bodies(service.url) == []
    status, page, _ = http("POST", links["Approve"])
    assert status == 200 and "Approved" in page
    assert len(public_bodies(service.url)) == 1

    # The reader asked for replies: first a confirmation, nothing else.
    [confirmation] = run_until(job, lambda: smtp_server.handler.to(READER))
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    confirm_link = links_in(confirmation)["Yes, mail me about replies"]
    status, page, _ = http("GET", confirm_link)
    assert status == 200 and '<form method="post">' in page
    assert http("POST", confirm_link)[0] == 200

    # A reply, approved (twice over: approve, reject, approve): one mail.
    auth = {"Authorization": f"Bearer {token}"}
    _, reply, _ = http("POST", f"{service.url}/api/v1/comments", data=comment_payload(
        name="Bob", email="bob@example.com", body="I agree!", parent_id=comment_id))  # fmt: skip
    reply_id = json.loads(reply)["id"]
    for action in ("approve", "reject", "approve"):
        assert http("POST", f"{service.url}/api/v1/moderation/comments/{reply_id}",
                    data={"action": action}, headers=auth)[0] == 200  # fmt: skip
    mails = run_until(job, lambda: smtp_server.handler.to(READER)[1:])
    for _ in range(5):
        job.run_once()
    assert len(smtp_server.handler.to(READER)) == 2
    reply_mail = smtp_server.handler.to(READER)[1]
    assert "Bob replied" in reply_mail["Subject"] and "I agree!" in text_of(mails[0])
    assert "bob@example.com" not in reply_mail.as_string()  # never another reader's email

    # One click (RFC 8058) stops them.
    unsubscribe = reply_mail["List-Unsubscribe"].strip("<>")
    status, page, _ = http("POST", unsubscribe, form={"List-Unsubscribe": "One-Click"})
    assert status == 200 and "Unsubscribed" in page
    _, second, _ = http("POST", f"{service.url}/api/v1/comments", data=comment_payload(
        name="Cy", email="cy@example.com", body="Me too", parent_id=comment_id))  # fmt: skip
    assert http("POST", f"{service.url}/api/v1/moderation/comments/{json.loads(second)['id']}",
                data={"action": "approve"}, headers=auth)[0] == 200  # fmt: skip
    for _ in range(5):
        job.run_once()
    assert len(smtp_server.handler.to(READER)) == 2


def test_the_no_javascript_form_asks_for_reply_mail_with_a_checkbox(
    live: Any, smtp_server: Any
) -> None:
    service = live()
    moderator_token(service, email=None)
    form = {key: str(value) for key, value in comment_payload(notify_replies="on").items()}
    status, _page, _ = http("POST", f"{service.url}/api/v1/comments", form=form)
    assert status == 303
    with service.app.extensions["commentsvc"].database.sessions() as session:
        from sqlalchemy import select

        from commentsvc.comments.models import Comment

        assert session.scalar(select(Comment.notify_replies)) is True


def test_many_waiting_comments_make_a_digest_not_a_flood(live: Any, smtp_server: Any) -> None:
    # Long enough that the four posts surely come within it, even on a busy machine.
    service = live(moderator_mail_interval_seconds=5)
    moderator_token(service)
    job = service.job()
    http("POST", f"{service.url}/api/v1/comments", data=comment_payload(body="first"))
    run_until(job, lambda: smtp_server.handler.to(MODERATOR))
    for number in range(2, 6):
        http(
            "POST", f"{service.url}/api/v1/comments", data=comment_payload(body=f"number {number}")
        )
    job.run_once()
    assert len(smtp_server.handler.to(MODERATOR)) == 1  # the next one waits its minute

    mails = run_until(job, lambda: smtp_server.handler.to(MODERATOR)[1:], timeout=30)
    assert len(mails) == 1
    assert mails[0]["Subject"] == "4 new comments wait for moderation"
    digest = text_of(mails[0])
    assert all(f"number {number}" in digest for number in range(2, 6))
    assert sum(1 for label in digest.splitlines() if label.startswith("Approve: ")) == 4


def test_a_trusted_authors_reply_is_published_at_once_and_mailed_to_the_parents_author(
    live: Any, smtp_server: Any
) -> None:
    service = live()
    token = moderator_token(service)
    auth = {"Authorization": f"Bearer {token}"}
    job = service.job()
    _, parent, _ = http("POST", f"{service.url}/api/v1/comments",
                        data=comment_payload(notify_replies=True))  # fmt: skip
    parent_id = json.loads(parent)["id"]
    http("POST", f"{service.url}/api/v1/moderation/comments/{parent_id}",
         data={"action": "approve"}, headers=auth)  # fmt: skip
    [confirmation] = run_until(job, lambda: smtp_server.handler.to(READER))
    http("POST", links_in(confirmation)["Yes, mail me about replies"])
    with service.app.extensions["commentsvc"].database.sessions() as session:
        set_trust(session, "bob@example.com", Trust.TRUSTED, "alice")
    moderator_mails = len(smtp_server.handler.to(MODERATOR))

    trusted = comment_payload(
        name="Bob", email="bob@example.com", body="Trusted reply", parent_id=parent_id
    )
    status, reply, _ = http("POST", f"{service.url}/api/v1/comments", data=trusted)
    assert status == 202 and json.loads(reply)["status"] == "approved"
    [reply_mail] = run_until(job, lambda: smtp_server.handler.to(READER)[1:])
    assert "Trusted reply" in text_of(reply_mail)
    assert "You wrote: A *fine* article." in text_of(reply_mail)
    for _ in range(3):
        job.run_once()
    assert len(smtp_server.handler.to(MODERATOR)) == moderator_mails  # nothing waits
