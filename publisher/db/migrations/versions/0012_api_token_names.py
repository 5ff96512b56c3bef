"""API tokens are named and expire: ``name`` (what the token is for) and ``expires_at`` (NULL: never).

Revision ID: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from publisher.db.schema import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("name", sa.String(80), nullable=False, server_default=""))
        batch.add_column(sa.Column("expires_at", UTCDateTime))


def downgrade() -> None:
    """Back to 0010: tokens without names, never expiring."""
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("name")
