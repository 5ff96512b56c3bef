"""The registers of applications and appeals belong to an office, as items do: ``office`` on both tables.

A row written before (NULL) belongs to whichever office's configuration reads it: a database had one office's
registers until now.

Revision ID: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("applications", "appeals"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("office", sa.String(64)))


def downgrade() -> None:
    """Back to 0016: registers without offices."""
    for table in ("applications", "appeals"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("office")
