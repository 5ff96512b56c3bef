"""转载任务 and account closures: ``repost_tasks`` (a task mandated by a higher body: its source, deadline and
issuing body, and the item that carries it), ``repost_accounts`` (the accounts that must carry each task, with the
evidence recorded by hand for copies made outside publisher) and ``channel_closures`` (an account being closed:
its 停更公告 item, then when the channel was disabled).

Revision ID: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from publisher.db.schema import ItemId, UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repost_tasks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("title", sa.String(1000), nullable=False),
        sa.Column("source_url", sa.String(2000)),
        sa.Column("source_file", sa.String(255)),
        sa.Column("source_sha256", sa.String(64)),
        sa.Column("issuer", sa.String(200), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("category", sa.String(200)),
        sa.Column("item_id", ItemId, sa.ForeignKey("items.id", ondelete="SET NULL")),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_repost_tasks_office_due", "repost_tasks", ["office", "due_on"])
    op.create_table(
        "repost_accounts",
        sa.Column("task_id", sa.Integer, sa.ForeignKey("repost_tasks.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("account", sa.String(100), primary_key=True),
        sa.Column("carried_url", sa.String(2000)),
        sa.Column("carried_at", UTCDateTime),
        sa.Column("recorded_by", sa.String(200)),
    )
    op.create_table(
        "channel_closures",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("notice_item_id", ItemId, sa.ForeignKey("items.id", ondelete="SET NULL")),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("notice_url", sa.String(2000)),
        sa.Column("closed_at", UTCDateTime),
    )


def downgrade() -> None:
    op.drop_table("channel_closures")
    op.drop_table("repost_accounts")
    op.drop_index("ix_repost_tasks_office_due", table_name="repost_tasks")
    op.drop_table("repost_tasks")
