"""Inspection readiness: correction tasks opened by a re-scan of what is out, and the inspection's remembered state
(the fingerprint of the term list and gate rules last scanned with, the last link check's summary).

Revision ID: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from publisher.db.schema import ItemId, UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("item_id", ItemId, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("field", sa.String(600), nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("suggestion", sa.Text),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_at", UTCDateTime, nullable=False),
        sa.Column("closed_at", UTCDateTime),
        sa.Column("closed_by", sa.String(80)),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_corrections_item", "corrections", ["item_id"])
    op.create_index("ix_corrections_status", "corrections", ["office", "status"])
    op.create_table(
        "inspection_state",
        sa.Column("office", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    """Back to 0015: no correction tasks, no inspection state."""
    op.drop_table("inspection_state")
    op.drop_index("ix_corrections_status", "corrections")
    op.drop_index("ix_corrections_item", "corrections")
    op.drop_table("corrections")
