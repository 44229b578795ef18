"""The pages links in mails open. A GET shows what the link would do and a button;
only the button's POST does it (mail scanners follow links). Forged, expired and
used links get a clear page with a 4xx status, and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commentsvc.comments.models import Comment
from commentsvc.deps import deps
from commentsvc.moderation import services as moderation
from commentsvc.moderation.models import Moderator
from commentsvc.notifications import subscriptions
from commentsvc.notifications.links import (
    FORGED,
    USED,
    LinkProblem,
    LinkPurpose,
    Links,
    link_id,
)
from commentsvc.notifications.models import UsedLink
from commentsvc.notifications.pages import page
from commentsvc.store import database as db

blueprint = Blueprint("notifications", __name__, url_prefix="/notifications")

ACTION_WORDS = {
    moderation.Action.APPROVE: ("Approve this comment", "Approved", "It is public now."),
    moderation.Action.REJECT: ("Reject this comment", "Rejected", "It will not be published."),
    moderation.Action.SPAM: ("Mark this comment as spam", "Marked as spam", "It stays hidden."),
}


def _links() -> Links:
    settings = deps().settings
    assert settings.secret_key
    return Links(settings.secret_key, settings.public_url or "")


def _problem_page(problem: LinkProblem) -> Response:
    return page(problem.title, problem.message, status=problem.status)


def _comment_shown(comment: Comment) -> dict[str, Any]:
    return {"author": comment.author_name, "email": comment.author_email, "url": comment.thread.url,
            "body": comment.body, "status": comment.status.value}  # fmt: skip


def _decision(token: str) -> tuple[dict[str, Any], Moderator, Comment, moderation.Action]:
    data = _links().read(LinkPurpose.DECIDE, token)
    session = db.session()
    if session.get(UsedLink, link_id(data)) is not None:
        raise USED
    moderator = session.get(Moderator, data.get("m"))
    comment = session.get(Comment, data.get("c"))
    try:
        action = moderation.Action(str(data.get("a")))
    except ValueError:
        raise FORGED from None
    if moderator is None:
        raise LinkProblem(
            403,
            "This link no longer works",
            "The moderator it was sent to has been removed. Nothing was done.",
        )
    if comment is None:
        raise LinkProblem(404, "This comment is gone", "It was deleted. Nothing was done.")
    return data, moderator, comment, action


@blueprint.route("/decide/<token>", methods=["GET", "POST"])
def decide(token: str) -> Response:
    """GET: the comment and a button; POST (the button): the decision, once."""
    try:
        data, moderator, comment, action = _decision(token)
    except LinkProblem as problem:
        return _problem_page(problem)
    button, done, after = ACTION_WORDS[action]
    if request.method == "GET":
        sent_to = f"This link was sent to {moderator.name}; the decision is recorded as theirs."
        return page(f"{button}?", sent_to, comment=_comment_shown(comment), button=button)
    session = db.session()
    # Marked as used in the decision's own transaction: two clicks at once, one decision.
    session.add(UsedLink(id=link_id(data)))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return _problem_page(USED)
    decided = moderation.decide(session, deps().queue, deps().cache, moderator, comment.id, action)
    return page(done, after, comment=_comment_shown(decided))


@dataclass(frozen=True)
class ReaderLink:
    """A reader's link: what its page asks, and what its button does."""

    title: str
    question: str
    button: str
    act: Callable[[Session, str], None]
    done_title: str
    done: str


READER_LINKS = {
    LinkPurpose.CONFIRM: ReaderLink(
        title="Mail me about replies?",
        question="Confirm that {email} gets an email when someone replies to a comment "
        "for which it asked.",
        button="Yes, mail me about replies",
        act=subscriptions.confirm,
        done_title="Confirmed",
        done="{email} will get an email when someone replies. Every such mail has a link "
        "to stop them.",
    ),
    LinkPurpose.UNSUBSCRIBE: ReaderLink(
        title="Stop reply mail?",
        question="{email} will get no more mail about replies.",
        button="Unsubscribe",
        act=subscriptions.unsubscribe,
        done_title="Unsubscribed",
        done="{email} will get no more mail about replies.",
    ),
}


def _reader_link(purpose: LinkPurpose) -> Callable[[str], Response]:
    """GET: the question and a button; POST: done (the button, and for unsubscribe
    also mail programs' one-click unsubscribe, RFC 8058)."""
    link = READER_LINKS[purpose]

    def view(token: str) -> Response:
        try:
            email = _links().read(purpose, token).get("e")
        except LinkProblem as problem:
            return _problem_page(problem)
        if not isinstance(email, str):
            return _problem_page(FORGED)
        if request.method == "GET":
            return page(link.title, link.question.format(email=email), button=link.button)
        link.act(db.session(), email)
        return page(link.done_title, link.done.format(email=email))

    return view


for _purpose in READER_LINKS:
    blueprint.add_url_rule(
        f"/{_purpose.value}/<token>",
        endpoint=_purpose.value,
        view_func=_reader_link(_purpose),
        methods=["GET", "POST"],
    )
