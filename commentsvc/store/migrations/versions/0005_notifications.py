"""Notifications: the outbox, deliveries, readers' subscriptions, used one-use links,
moderators' email addresses and comments' reply opt-in.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import commentsvc.store.database

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC = commentsvc.store.database.UTCDateTime


def _status(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "kind",
            _status("comment.pending", "comment.approved", name="outbox_event_kind"),
            nullable=False,
        ),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("expanded_at", UTC()),
    )
    op.create_index("ix_outbox_events_unexpanded", "outbox_events", ["expanded_at", "id"])
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delivery_id", sa.String(36), nullable=False, unique=True),
        sa.Column("dedupe_key", sa.String(300), nullable=False, unique=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("outbox_events.id", ondelete="SET NULL")),
        sa.Column(
            "channel",
            _status(
                "moderator_mail",
                "confirm_mail",
                "reply_mail",
                "webhook",
                name="notification_channel",
            ),
            nullable=False,
        ),  # fmt: skip
        sa.Column("target", sa.String(2000), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            _status("pending", "delivered", "failed", "cancelled", name="delivery_status"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(), nullable=False),
        sa.Column("retrying_since", UTC(), nullable=False),
        sa.Column("lease_until", UTC()),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("delivered_at", UTC()),
    )
    op.create_index(
        "ix_notification_deliveries_due", "notification_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_notification_deliveries_target",
        "notification_deliveries",
        ["channel", "target", "status"],
    )
    op.create_table(
        "subscribers",
        sa.Column("email", sa.String(254), primary_key=True),
        sa.Column(
            "status",
            _status("pending", "confirmed", "unsubscribed", name="subscriber_status"),
            nullable=False,
        ),
        sa.Column("changed_at", UTC(), nullable=False),
    )
    op.create_table(
        "used_links",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("used_at", UTC(), nullable=False),
    )
    with op.batch_alter_table("moderators") as batch:
        batch.add_column(sa.Column("email", sa.String(254)))
    with op.batch_alter_table("comments") as batch:
        batch.add_column(
            sa.Column("notify_replies", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("notify_replies")
    with op.batch_alter_table("moderators") as batch:
        batch.drop_column("email")
    op.drop_table("used_links")
    op.drop_table("subscribers")
    op.drop_table("notification_deliveries")
    op.drop_table("outbox_events")
