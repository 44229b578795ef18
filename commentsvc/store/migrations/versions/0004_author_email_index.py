"""An index of comments by author, for the moderation console's author look-ups.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_comments_author_email", "comments", ["author_email", "id"])


def downgrade() -> None:
    op.drop_index("ix_comments_author_email", table_name="comments")
