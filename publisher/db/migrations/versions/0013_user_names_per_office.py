"""User names are unique per office, not overall (one office's admin cannot find out another's users); console
sessions name their user by id, since a name alone no longer says which user.

Revision ID: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# gives the unnamed UNIQUE(name) of revision 0003 a name on SQLite, where batch mode reflects it without one
NAMING = {"uq": "%(table_name)s_%(column_0_name)s_key"}


def upgrade() -> None:
    with op.batch_alter_table("users", naming_convention=NAMING) as batch:
        batch.drop_constraint("users_name_key", type_="unique")
        batch.create_unique_constraint("uq_users_office_name", ["office", "name"])
    with op.batch_alter_table("console_sessions") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer))
        batch.create_index("ix_console_sessions_user_id", ["user_id"])
    op.execute("UPDATE console_sessions SET user_id = (SELECT users.id FROM users "
               "WHERE users.name = console_sessions.user_name)")


def downgrade() -> None:
    """Back to 0012: names unique overall again (fails while two offices have a user of the same name)."""
    with op.batch_alter_table("console_sessions") as batch:
        batch.drop_index("ix_console_sessions_user_id")
        batch.drop_column("user_id")
    with op.batch_alter_table("users", naming_convention=NAMING) as batch:
        batch.drop_constraint("uq_users_office_name", type_="unique")
        batch.create_unique_constraint("users_name_key", ["name"])
