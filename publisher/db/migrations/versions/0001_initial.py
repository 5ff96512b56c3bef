"""The first release's schema (frozen: never edit a released migration).

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from publisher.db.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(32), nullable=False, unique=True),
        sa.Column("title", sa.String(1000), nullable=False),
        sa.Column("category", sa.String(200), nullable=False),
        sa.Column("body_html", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("publish_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("retracted_at", UTCDateTime),
        sa.Column("retract_reason", sa.Text),
        sa.Column("review_state", sa.String(20), nullable=False),
        sa.Column("channel_options", sa.JSON, nullable=False),
        sa.Column("series", sa.String(200)),
        sa.Column("occurrence_key", sa.String(40)),
        sa.UniqueConstraint("series", "occurrence_key", name="uq_items_series_occurrence"),
    )
    op.create_index("ix_items_publish_at", "items", ["publish_at"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("mime", sa.String(200), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("inline", sa.Boolean, nullable=False),
    )
    op.create_index("ix_attachments_item", "attachments", ["item_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("first_attempt_at", UTCDateTime),
        sa.Column("lease_owner", sa.String(100)),
        sa.Column("lease_expires_at", UTCDateTime),
        sa.Column("idempotency_key", sa.String(100), nullable=False, unique=True),
        sa.Column("external_id", sa.String(500)),
        sa.Column("external_url", sa.Text),
        sa.Column("published_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("checkpoint", sa.JSON, nullable=False),
        sa.Column("retract_requested", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("item_id", "channel", name="uq_deliveries_item_channel"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_deliveries_published", "deliveries", ["published_at"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE")),
        sa.Column("delivery_id", sa.Integer),
        sa.Column("channel", sa.String(64)),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_events_item", "events", ["item_id"])
    op.create_table(
        "channel_state",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.JSON),
        sa.Column("expires_at", UTCDateTime),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("lock_owner", sa.String(100)),
        sa.Column("lock_until", UTCDateTime),
    )
    op.create_table(
        "channel_pauses",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("since", UTCDateTime, nullable=False),
        sa.Column("until", UTCDateTime),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "series_occurrences",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("series", sa.String(200), nullable=False),
        sa.Column("occurrence_key", sa.String(40), nullable=False),
        sa.Column("scheduled_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", ondelete="SET NULL")),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("next_try_at", UTCDateTime),
        sa.Column("deadline_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("series", "occurrence_key", name="uq_series_occurrence"),
    )


def downgrade() -> None:
    for table in ("series_occurrences", "channel_pauses", "channel_state", "events", "deliveries", "attachments",
                  "items"):
        op.drop_table(table)
