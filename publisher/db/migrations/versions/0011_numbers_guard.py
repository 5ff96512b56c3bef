"""Numbers that cannot silently go wrong: deliveries get ``removed_at`` (when a removal found on the platform was
recorded: the report keeps counting a publication in the year it was published when it was removed later) and
events get ``mac`` (the HMAC of the event's hash under a key kept outside the database, when one is configured).

Revision ID: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("removed_at", sa.DateTime()))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("mac", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("mac")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("removed_at")
