"""Every model, imported once so the metadata is complete (migrations, tests)."""

from commentsvc.comments.models import Comment, CommentStatus, Thread
from commentsvc.db import Base
from commentsvc.moderation.models import Moderator

__all__ = ["Base", "Comment", "CommentStatus", "Moderator", "Thread"]
