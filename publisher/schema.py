"""Database tables (SQLAlchemy Core), portable between SQLite and PostgreSQL. Times are naive UTC."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC; returns them aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC datetimes")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)


schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", UTCDateTime, nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uid", String(32), nullable=False, unique=True),
    Column("title", String(1000), nullable=False),
    Column("category", String(200), nullable=False),
    Column("body_html", Text, nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    Column("author", String(200), nullable=False, default=""),
    Column("department", String(200), nullable=False, default=""),
    Column("publish_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False, default=""),
    Column("status", String(20), nullable=False, default="active"),  # active | retracted
    Column("retracted_at", UTCDateTime),
    Column("retract_reason", Text),
    # review workflow (三审) and confidentiality gate (保密审查): the dispatcher only takes `approved` items
    Column("review_state", String(20), nullable=False, default="approved"),
    Column("channel_options", JSON, nullable=False, default=dict),
    Column("series", String(200)),
    Column("occurrence_key", String(40)),
    UniqueConstraint("series", "occurrence_key", name="uq_items_series_occurrence"),
)
Index("ix_items_publish_at", items.c.publish_at)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("filename", String(500), nullable=False),
    Column("mime", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    Column("inline", Boolean, nullable=False, default=False),
)
Index("ix_attachments_item", attachments.c.item_id)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(64), nullable=False),
    # pending | publishing | in_doubt | published | failed | dead | retracted
    Column("status", String(20), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("version", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("first_attempt_at", UTCDateTime),
    Column("lease_owner", String(100)),
    Column("lease_expires_at", UTCDateTime),
    Column("idempotency_key", String(100), nullable=False, unique=True),
    Column("external_id", String(500)),
    Column("external_url", Text),
    Column("published_at", UTCDateTime),
    Column("last_error", Text),
    Column("checkpoint", JSON, nullable=False, default=dict),
    Column("retract_requested", Boolean, nullable=False, default=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("item_id", "channel", name="uq_deliveries_item_channel"),
)
Index("ix_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)
Index("ix_deliveries_published", deliveries.c.published_at)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE")),
    Column("delivery_id", Integer),
    Column("channel", String(64)),
    # queued | claimed | attempt | published | failed | in_doubt | dead | retracted | paused | ...
    Column("kind", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("detail", JSON, nullable=False, default=dict),
)
Index("ix_events_item", events.c.item_id)

channel_state = Table(
    "channel_state",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", JSON),
    Column("expires_at", UTCDateTime),
    Column("version", Integer, nullable=False, default=0),
    Column("lock_owner", String(100)),
    Column("lock_until", UTCDateTime),
)

channel_pauses = Table(
    "channel_pauses",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("since", UTCDateTime, nullable=False),
    Column("until", UTCDateTime),  # NULL: until an operator resumes it
    Column("reason", Text, nullable=False),
)

series_occurrences = Table(
    "series_occurrences",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("series", String(200), nullable=False),
    Column("occurrence_key", String(40), nullable=False),
    Column("scheduled_at", UTCDateTime, nullable=False),
    # waiting | queued | skipped | missing_data | failed
    Column("status", String(20), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="SET NULL")),
    Column("tries", Integer, nullable=False, default=0),
    Column("next_try_at", UTCDateTime),
    Column("deadline_at", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("series", "occurrence_key", name="uq_series_occurrence"),
)

# Added in schema version 2: where each series' catch-up starts (the runner moves it forward).
series_state = Table(
    "series_state",
    metadata,
    Column("series", String(200), primary_key=True),
    Column("since", UTCDateTime, nullable=False),
)
