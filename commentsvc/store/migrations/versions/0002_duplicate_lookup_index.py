"""Index for the duplicate rule: a reader's earlier comments on the same article.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_comments_thread_email", "comments", ["thread_id", "author_email"])


def downgrade() -> None:
    op.drop_index("ix_comments_thread_email", table_name="comments")
