"""Corrections of published items: which revision each channel's copy shows, and whether it is to be updated.

``deliveries.revision`` is the item revision the channel holds (set when it is published, and by each update);
``deliveries.update_state`` is ``left`` (the editor left the old copy there) or ``failed`` (the channel refused
the update for good), NULL otherwise. Deliveries published before this revision showed the item's current
revision: edits of published items were refused until now.

Revision ID: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("revision", sa.Integer))
        batch.add_column(sa.Column("update_state", sa.String(20)))
    op.execute("UPDATE deliveries SET revision = (SELECT items.revision FROM items WHERE items.id = deliveries.item_id) "
               "WHERE status IN ('published', 'retracted')")


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("update_state")
        batch.drop_column("revision")
