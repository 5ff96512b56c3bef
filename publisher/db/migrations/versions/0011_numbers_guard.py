"""Numbers that cannot silently go wrong: deliveries get ``removed_at`` (when a removal found on the platform was
recorded: the report keeps counting a publication in the year it was published when it was removed later) and
events get ``mac`` (the HMAC of the event's hash under a key kept outside the database, when one is configured);
``application_pauses`` holds the legal pauses of an application's clock (补正, 第三方, 收费).

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
    op.create_table(
        "application_pauses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reason", sa.String(10), nullable=False),
        sa.Column("from_on", sa.Date, nullable=False),
        sa.Column("to_on", sa.Date),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_application_pauses_application", "application_pauses", ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_application_pauses_application", table_name="application_pauses")
    op.drop_table("application_pauses")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("mac")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("removed_at")
