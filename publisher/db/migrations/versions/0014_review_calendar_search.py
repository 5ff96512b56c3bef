"""Items remember whether their editor gave a publish time (``time_given``: a draft saved without one is not late),
and their text gets a substring index for search: an FTS5 table with the trigram tokenizer on SQLite
(``items_search``, kept by triggers), a ``pg_trgm`` GIN index on PostgreSQL (``ix_items_search``).

Revision ID: 0014
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from publisher.db.search_index import create_search_index, drop_search_index

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

log = logging.getLogger("publisher.migrate")


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("time_given", sa.Boolean, nullable=False, server_default=sa.true()))
    if not create_search_index(op.get_bind()):
        log.warning("search: the substring index could not be made (pg_trgm missing?); search reads every item")


def downgrade() -> None:
    """Back to 0013: no search index, no ``time_given``."""
    drop_search_index(op.get_bind())
    with op.batch_alter_table("items") as batch:
        batch.drop_column("time_given")
