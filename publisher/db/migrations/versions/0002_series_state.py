"""Series watermarks: where each series' catch-up starts (frozen).

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from publisher.db.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made by the first release at its version 2 already has the table.
    if not sa.inspect(op.get_bind()).has_table("series_state"):
        op.create_table(
            "series_state",
            sa.Column("series", sa.String(200), primary_key=True),
            sa.Column("since", UTCDateTime, nullable=False),
        )


def downgrade() -> None:
    op.drop_table("series_state")
