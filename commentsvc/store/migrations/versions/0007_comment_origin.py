"""Where an imported comment came from, so that importing again adds nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("origin", sa.String(255)))
        batch.create_unique_constraint("uq_comments_origin", ["origin"])


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_constraint("uq_comments_origin", type_="unique")
        batch.drop_column("origin")
