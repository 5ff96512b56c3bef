"""Users and roles, review (三审), gate findings, item revisions, offices and keys, the audit chain.

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from publisher.db.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    office = op.get_context().config.attributes.get("office", "default")
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("office", sa.String(64), nullable=False, server_default=office))
        batch.add_column(sa.Column("key", sa.String(200)))
        batch.add_column(sa.Column("revision", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("review_step", sa.Integer))
        batch.add_column(sa.Column("held", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("gate_unchecked", sa.JSON, nullable=False, server_default="[]"))
    op.create_index("ix_items_office_key", "items", ["office", "key"], unique=True)
    op.create_index("ix_items_office_review", "items", ["office", "review_state"])
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("office", sa.String(64)))
        batch.add_column(sa.Column("seq", sa.BigInteger))
        batch.add_column(sa.Column("hash", sa.String(64)))
    op.create_index("ix_events_seq", "events", ["seq"], unique=True)
    op.create_index("ix_events_actor", "events", ["actor"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_used_at", UTCDateTime),
        sa.Column("revoked_at", UTCDateTime),
    )
    op.create_table(
        "item_revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("title", sa.String(1000), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=False),
        sa.Column("attachments", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("item_id", "revision", name="uq_item_revisions"),
    )
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("step", sa.Integer),
        sa.Column("step_name", sa.String(100)),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("override_reason", sa.Text),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_review_decisions_item", "review_decisions", ["item_id"])
    op.create_table(
        "gate_findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("field", sa.String(600), nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("suggestion", sa.Text),
    )
    op.create_index("ix_gate_findings_item", "gate_findings", ["item_id"])
    op.create_table(
        "standing_approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("series", sa.String(200), nullable=False),
        sa.Column("template_sha256", sa.String(64), nullable=False),
        sa.Column("granted_by", sa.String(80), nullable=False),
        sa.Column("granted_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
        sa.Column("revoked_reason", sa.Text),
    )
    op.create_index("ix_standing_approvals_series", "standing_approvals", ["series"])

    bind = op.get_bind()
    # What was queued before review existed was published (or is due) without it: revision 1 of each item.
    bind.execute(sa.text(
        "INSERT INTO item_revisions (item_id, revision, title, summary, body_html, attachments, created_at, created_by) "
        "SELECT id, 1, title, summary, body_html, '[]', created_at, created_by FROM items"))
    bind.execute(sa.text("UPDATE events SET office = :office"), {"office": office})
    from publisher.ledger.audit import chain_unsealed  # the chain's one definition
    chain_unsealed(bind)
    if sa.inspect(bind).has_table("schema_version"):
        op.drop_table("schema_version")


def downgrade() -> None:
    """Back to 0002: users, review, findings, revisions and the chain's columns are dropped (back up first)."""
    for index, table in (("ix_standing_approvals_series", "standing_approvals"),
                         ("ix_gate_findings_item", "gate_findings"), ("ix_review_decisions_item", "review_decisions")):
        op.drop_index(index, table_name=table)
    for table in ("standing_approvals", "gate_findings", "review_decisions", "item_revisions", "api_tokens", "users"):
        op.drop_table(table)
    for index, table in (("ix_events_actor", "events"), ("ix_events_seq", "events"),
                         ("ix_items_office_review", "items"), ("ix_items_office_key", "items")):
        op.drop_index(index, table_name=table)
    with op.batch_alter_table("events") as batch:
        for column in ("hash", "seq", "office"):
            batch.drop_column(column)
    with op.batch_alter_table("items") as batch:
        for column in ("gate_unchecked", "held", "review_step", "revision", "key", "office"):
            batch.drop_column(column)
