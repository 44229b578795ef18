"""Threads, comments and moderators.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

import commentsvc.store.database

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = ("pending", "approved", "rejected", "spam")


def upgrade() -> None:
    op.create_table(
        "moderators",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", commentsvc.store.database.UTCDateTime(), nullable=False),
    )
    op.create_table(
        "threads",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False, unique=True),
        sa.Column("created_at", commentsvc.store.database.UTCDateTime(), nullable=False),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "thread_id",
            sa.Integer(),
            sa.ForeignKey("threads.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("comments.id", ondelete="SET NULL")),
        sa.Column("author_name", sa.String(100), nullable=False),
        sa.Column("author_email", sa.String(254), nullable=False),
        sa.Column("author_website", sa.String(500)),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="comment_status", create_constraint=False),
            nullable=False,
        ),
        sa.Column("spam_reasons", sa.JSON(), nullable=False),
        sa.Column("remote_addr", sa.String(45)),
        sa.Column("created_at", commentsvc.store.database.UTCDateTime(), nullable=False),
        sa.Column("decided_at", commentsvc.store.database.UTCDateTime()),
        sa.Column(
            "decided_by_id", sa.Integer(), sa.ForeignKey("moderators.id", ondelete="SET NULL")
        ),
    )
    op.create_index("ix_comments_parent_id", "comments", ["parent_id"])
    op.create_index("ix_comments_thread_status_id", "comments", ["thread_id", "status", "id"])
    op.create_index("ix_comments_status_created", "comments", ["status", "created_at"])


def downgrade() -> None:
    op.drop_table("comments")
    op.drop_table("threads")
    op.drop_table("moderators")
    sa.Enum(name="comment_status").drop(op.get_bind(), checkfirst=True)
