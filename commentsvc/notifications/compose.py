"""What each notification says: the moderators' mail (one comment, or a digest), the
readers' confirmation and reply mail, and the webhook's summary."""

from __future__ import annotations

from typing import Any

from commentsvc.comments.models import Comment
from commentsvc.moderation.schemas import QueuedCommentSchema
from commentsvc.notifications.links import LinkPurpose, Links
from commentsvc.notifications.mail import CommentInMail, Mail, reply_to_address

_queued = QueuedCommentSchema()
SUMMARY_BODY_CHARS = 200
DECISIONS = (("Approve", "approve"), ("Reject", "reject"), ("Mark as spam", "spam"))


def queue_item(comment: Comment) -> dict[str, Any]:
    item: dict[str, Any] = _queued.dump(comment)
    item["spam_score"] = comment.spam_score
    return item


def _excerpt(text: str) -> str:
    """On one line, at most SUMMARY_BODY_CHARS characters."""
    line = " ".join(text.split())
    if len(line) > SUMMARY_BODY_CHARS:
        line = line[: SUMMARY_BODY_CHARS - 1] + "…"
    return line


def summary(comment: Comment) -> str:
    """One line, for chat webhooks (Slack's and Mattermost's ``text``)."""
    return (
        f"New comment by {comment.author_name} on {comment.thread.url} waits: "
        f"{_excerpt(comment.body)}"
    )


def _in_mail(comment: Comment, links: list[tuple[str, str]]) -> CommentInMail:
    return CommentInMail(
        id=comment.id,
        url=comment.thread.url,
        author_name=comment.author_name,
        author_email=comment.author_email,
        body=comment.body,
        spam_score=comment.spam_score,
        spam_reasons=list(comment.spam_reasons or []),
        links=links,
    )


def moderator_mail(links: Links, moderator_id: int, to: str, comments: list[Comment]) -> Mail:
    """One waiting comment, or a digest of several (never more than one mail a minute
    to a moderator). Each comment has its own signed one-use links."""
    in_mail = [
        _in_mail(
            comment,
            [
                (label, links.url(LinkPurpose.DECIDE, c=comment.id, a=action, m=moderator_id))
                for label, action in DECISIONS
            ],
        )
        for comment in comments
    ]
    if len(comments) == 1:
        comment = comments[0]
        subject = f"New comment by {comment.author_name} waits for moderation"
        intro = [f"A new comment on {comment.thread.url} waits for moderation."]
        reply_to = reply_to_address(comment.author_name, comment.author_email)
    else:
        subject = f"{len(comments)} new comments wait for moderation"
        intro = [f"{len(comments)} new comments wait for moderation."]
        reply_to = None
    intro.append(
        "Each link opens a page where you confirm the decision; it works once, for 7 days."
    )
    return Mail(
        to=to,
        subject=subject,
        intro=intro,
        comments=in_mail,
        outro=[("Moderation page", f"{links.public_url}/moderate")],
        reply_to=reply_to,
        show_author_email=True,
    )


def confirm_mail(links: Links, comment: Comment) -> Mail:
    email = comment.author_email
    unsubscribe = links.url(LinkPurpose.UNSUBSCRIBE, e=email)
    return Mail(
        to=email,
        subject="Please confirm: mail me when someone replies to my comment",
        intro=[
            f"You asked to get an email when someone replies to your comment on "
            f"{comment.thread.url}.",
            "Confirm it with the first link below; until then nothing else is sent to "
            "this address. If it was not you, ignore this mail.",
        ],
        comments=[],
        outro=[
            ("Yes, mail me about replies", links.url(LinkPurpose.CONFIRM, e=email)),
            ("Never mail me", unsubscribe),
        ],
        unsubscribe_url=unsubscribe,
    )


def reply_mail(links: Links, to: str, reply: Comment, parent: Comment) -> Mail:
    unsubscribe = links.url(LinkPurpose.UNSUBSCRIBE, e=to)
    return Mail(
        to=to,
        subject=f"{reply.author_name} replied to your comment",
        intro=[
            f"{reply.author_name} replied to your comment on {reply.thread.url}.",
            f"You wrote: {_excerpt(parent.body)}",
        ],
        comments=[_in_mail(reply, [("Read it on the page", reply.thread.url)])],
        outro=[("Stop these mails", unsubscribe)],
        unsubscribe_url=unsubscribe,
    )
