"""Item ids are 64 bits on PostgreSQL too (items.id and every column that refers to it, and the id sequence).

SQLite's INTEGER PRIMARY KEY is 64 bits already: nothing changes there. Text columns keep their sizes; the
store checks a value against its column's size before writing, so both databases refuse the same input.

Revision ID: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ITEM_ID_COLUMNS = [("attachments", "item_id"), ("deliveries", "item_id"), ("events", "item_id"),
                   ("series_occurrences", "item_id"), ("item_revisions", "item_id"),
                   ("review_decisions", "item_id"), ("gate_findings", "item_id")]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column("items", "id", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)
    op.execute("DO $$ DECLARE seq text := pg_get_serial_sequence('items', 'id'); BEGIN "
               "IF seq IS NOT NULL THEN EXECUTE 'ALTER SEQUENCE ' || seq || ' AS bigint'; END IF; END $$")
    for table, column in ITEM_ID_COLUMNS:
        op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in ITEM_ID_COLUMNS:
        op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger())
    op.alter_column("items", "id", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
