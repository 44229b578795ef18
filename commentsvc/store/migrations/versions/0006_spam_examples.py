"""Moderators' decisions kept as examples the spam model learns from.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import commentsvc.store.database

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spam_examples",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("comment_id", sa.Integer()),
        sa.Column("spam", sa.Boolean(), nullable=False),
        sa.Column("buckets", sa.JSON(), nullable=False),
        sa.Column("created_at", commentsvc.store.database.UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("spam_examples")
