"""Readers' edits of their published comments, waiting for moderation.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("revises_id", sa.Integer()))
        batch.create_foreign_key(
            "fk_comments_revises_id", "comments", ["revises_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_comments_revises_id", ["revises_id"])


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_index("ix_comments_revises_id")
        batch.drop_constraint("fk_comments_revises_id", type_="foreignkey")
        batch.drop_column("revises_id")
