"""The report's registers (applications 依申请公开, appeals 复议/诉讼), frozen reports, back-filled publications.

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from publisher.db.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(100)),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("applicant_type", sa.String(20), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("extended", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(10)),
        sa.Column("closed_on", sa.Date),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_applications_received", "applications", ["received_on"])
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(100)),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("result", sa.String(20)),
        sa.Column("decided_on", sa.Date),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "report_freezes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False, unique=True),
        sa.Column("template", sa.String(10), nullable=False),
        sa.Column("frozen_at", UTCDateTime, nullable=False),
        sa.Column("frozen_by", sa.String(200), nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
    )
    op.create_table(
        "backfilled",
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("imported_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    for name in ("backfilled", "report_freezes", "appeals"):
        op.drop_table(name)
    op.drop_index("ix_applications_received", table_name="applications")
    op.drop_table("applications")
