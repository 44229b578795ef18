"""The audit log, authors' trust, and each comment's spam score.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import commentsvc.store.database

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TRUST = ("trusted", "blocked", "none")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("comment_id", sa.Integer()),
        sa.Column("email", sa.String(254)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("at", commentsvc.store.database.UTCDateTime(), nullable=False),
        sa.Column("detail", sa.JSON()),
    )
    op.create_index("ix_audit_events_comment", "audit_events", ["comment_id", "id"])
    op.create_index("ix_audit_events_email", "audit_events", ["email"])
    op.create_table(
        "authors",
        sa.Column("email", sa.String(254), primary_key=True),
        sa.Column(
            "trust", sa.Enum(*TRUST, name="author_trust", create_constraint=False), nullable=False
        ),
        sa.Column("changed_at", commentsvc.store.database.UTCDateTime(), nullable=False),
        sa.Column("changed_by", sa.String(120), nullable=False),
    )
    with op.batch_alter_table("comments") as batch:
        batch.add_column(
            sa.Column("spam_score", sa.Float(), nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("spam_score")
    op.drop_table("authors")
    op.drop_table("audit_events")
    sa.Enum(name="author_trust").drop(op.get_bind(), checkfirst=True)
