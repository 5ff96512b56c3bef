"""Indexes for the ledger's year query (tally, report, the console's tally page) and the console's queue pages.

``ix_deliveries_ledger`` holds only deliveries that were published (``published_at`` set), by status in time
order, with the columns the query groups by. ``ix_items_ledger`` answers the join's office and category without
reading the item's row (whose body may span several pages). ``ix_items_office_id`` gives an office's items in id
order: the console's queue pages, newest first, without sorting all of the office's items.

Revision ID: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PUBLISHED = sa.text("published_at IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_deliveries_ledger", "deliveries", ["status", "published_at", "channel", "item_id"],
                    sqlite_where=PUBLISHED, postgresql_where=PUBLISHED)
    op.create_index("ix_items_ledger", "items", ["id", "office", "category"])
    op.create_index("ix_items_office_id", "items", ["office", "id"])


def downgrade() -> None:
    op.drop_index("ix_items_office_id", table_name="items")
    op.drop_index("ix_items_ledger", table_name="items")
    op.drop_index("ix_deliveries_ledger", table_name="deliveries")
