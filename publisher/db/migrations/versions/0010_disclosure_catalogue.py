"""The disclosure catalogue (政府信息公开目录): an item becomes a government record.

Items get the catalogue's fields — ``index_no`` (索引号, assigned once, unique in the database), ``issuer``
(发布机构), ``doc_no`` (文号), ``written_on`` (成文日期), ``subject`` (主题分类), ``genre`` (体裁), ``disclosure``
(公开方式) with ``disclosure_reason``, ``validity`` (有效/失效/废止) with ``validity_on``, ``validity_basis`` and
``superseded_by`` (the newer record that repealed it), ``interprets`` (the policy this item is the 解读 of) with
``interpretation_form`` — and ``first_published_at``, the moment the first channel accepted the item (existing
items: their earliest published delivery). ``catalogue_sequences`` hands out 索引号 sequence numbers per
organisation code and year.

Revision ID: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ItemId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
UTC = sa.DateTime()  # stored like publisher.db.schema.UTCDateTime (naive UTC)


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("index_no", sa.String(100)))
        batch.add_column(sa.Column("issuer", sa.String(200)))
        batch.add_column(sa.Column("doc_no", sa.String(100)))
        batch.add_column(sa.Column("written_on", sa.Date))
        batch.add_column(sa.Column("subject", sa.String(100)))
        batch.add_column(sa.Column("genre", sa.String(50)))
        batch.add_column(sa.Column("disclosure", sa.String(20), nullable=False, server_default="主动公开"))
        batch.add_column(sa.Column("disclosure_reason", sa.Text))
        batch.add_column(sa.Column("validity", sa.String(10), nullable=False, server_default="有效"))
        batch.add_column(sa.Column("validity_on", sa.Date))
        batch.add_column(sa.Column("validity_basis", sa.Text))
        batch.add_column(sa.Column("superseded_by", ItemId))
        batch.add_column(sa.Column("interprets", ItemId))
        batch.add_column(sa.Column("interpretation_form", sa.String(10)))
        batch.add_column(sa.Column("first_published_at", UTC))
    op.create_index("ix_items_index_no", "items", ["index_no"], unique=True)
    op.create_index("ix_items_interprets", "items", ["interprets"])
    op.create_table(
        "catalogue_sequences",
        sa.Column("org_code", sa.String(64), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
    )
    op.execute("UPDATE items SET first_published_at = (SELECT MIN(deliveries.published_at) FROM deliveries "
               "WHERE deliveries.item_id = items.id AND deliveries.published_at IS NOT NULL)")


def downgrade() -> None:
    op.drop_table("catalogue_sequences")
    op.drop_index("ix_items_interprets", table_name="items")
    op.drop_index("ix_items_index_no", table_name="items")
    with op.batch_alter_table("items") as batch:
        for name in ("first_published_at", "interpretation_form", "interprets", "superseded_by", "validity_basis",
                     "validity_on", "validity", "disclosure_reason", "disclosure", "genre", "subject", "written_on",
                     "doc_no", "issuer", "index_no"):
            batch.drop_column(name)
