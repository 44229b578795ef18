"""Every model, imported once so the metadata is complete (migrations, tests)."""

from commentsvc.comments.models import Comment, CommentStatus, Thread
from commentsvc.moderation.history import AuditEvent
from commentsvc.moderation.models import Moderator
from commentsvc.moderation.trust import Author, Trust
from commentsvc.notifications.models import Delivery, OutboxEvent, Subscriber, UsedLink
from commentsvc.spam.learning import SpamExample
from commentsvc.store.database import Base

__all__ = [
    "AuditEvent",
    "Author",
    "Base",
    "Comment",
    "CommentStatus",
    "Delivery",
    "Moderator",
    "OutboxEvent",
    "Subscriber",
    "SpamExample",
    "Thread",
    "Trust",
    "UsedLink",
]
