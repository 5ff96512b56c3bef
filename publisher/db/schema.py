"""Database tables (SQLAlchemy Core), portable between SQLite and PostgreSQL. Times are naive UTC."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
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
from sqlalchemy.sql.expression import true as sa_true

metadata = MetaData()

# An item id is 64 bits on both databases (SQLite's INTEGER PRIMARY KEY already is; revision 0006 on PostgreSQL).
ItemId = BigInteger().with_variant(Integer, "sqlite")


#: How SQLAlchemy's SQLite DATETIME stores a time (naive UTC here), as one %-format of a tuple.
SQLITE_STORED = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


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

    def bind_processor(self, dialect):
        """On SQLite, the stored text in one step (the same text SQLAlchemy's DATETIME writes: a claim and its
        outcome bind some twenty times each, so the two-step default shows in the dispatcher's profile)."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        utc = timezone.utc

        def process(value):
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given to the database; use aware UTC datetimes")
            if value.tzinfo is not utc:
                value = value.astimezone(utc)
            return SQLITE_STORED % (value.year, value.month, value.day, value.hour, value.minute, value.second,
                                    value.microsecond)

        return process

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)


items = Table(
    "items",
    metadata,
    Column("id", ItemId, primary_key=True, autoincrement=True),
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
    # review workflow (三审, publisher.review): the dispatcher only takes `approved` items that are not held
    Column("review_state", String(20), nullable=False, default="approved"),
    Column("channel_options", JSON, nullable=False, default=dict),
    Column("series", String(200)),
    Column("occurrence_key", String(40)),
    # added in revision 0003
    Column("office", String(64), nullable=False, default="default"),
    Column("key", String(200)),  # the office's own reference, unique per office
    Column("revision", Integer, nullable=False, default=1),  # bumped by every edit of the text
    Column("review_step", Integer),  # index into review.steps while in_review
    Column("held", Boolean, nullable=False, default=False),  # approved late: waits for a new time
    Column("gate_unchecked", JSON, nullable=False, default=list),  # attachments the gate could not read
    # added in revision 0010: the disclosure catalogue (政府信息公开目录), docs/catalogue.md
    Column("index_no", String(100)),  # 索引号: assigned once (publisher.items.catalogue), never reused
    Column("issuer", String(200)),  # 发布机构; NULL: the office's name
    Column("doc_no", String(100)),  # 文号, e.g. 东住建〔2019〕12号
    Column("written_on", Date),  # 成文日期
    Column("subject", String(100)),  # 主题分类 (the office's list)
    Column("genre", String(50)),  # 体裁 (the office's list)
    Column("disclosure", String(20), nullable=False, default="主动公开", server_default="主动公开"),
    Column("disclosure_reason", Text),  # the legal reason of 依申请公开 / 不予公开
    Column("validity", String(10), nullable=False, default="有效", server_default="有效"),
    Column("validity_on", Date),
    Column("validity_basis", Text),
    Column("superseded_by", ItemId),  # the newer record that repealed this one
    Column("interprets", ItemId),  # this item is the 解读 of that policy
    Column("interpretation_form", String(10)),  # 文字 | 图解 | 视频 | 问答
    Column("first_published_at", UTCDateTime),  # the moment the first channel accepted the item
    # added in revision 0014: false when the editor gave no publish time (it goes once approved, never late)
    Column("time_given", Boolean, nullable=False, default=True, server_default=sa_true()),
    UniqueConstraint("series", "occurrence_key", name="uq_items_series_occurrence"),
)
Index("ix_items_publish_at", items.c.publish_at)
Index("ix_items_office_key", items.c.office, items.c.key, unique=True)
Index("ix_items_office_review", items.c.office, items.c.review_state)
# revision 0009: the ledger's join reads office and category from here, never the item's row; an office's items
# newest first (the console's queue) are read in ix_items_office_id's order, never sorted
Index("ix_items_ledger", items.c.id, items.c.office, items.c.category)
Index("ix_items_office_id", items.c.office, items.c.id)
Index("ix_items_index_no", items.c.index_no, unique=True)
Index("ix_items_interprets", items.c.interprets)

# revision 0010: the last 索引号 sequence number handed out per organisation code and year
catalogue_sequences = Table(
    "catalogue_sequences",
    metadata,
    Column("org_code", String(64), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_seq", Integer, nullable=False),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", ItemId, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
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
    Column("item_id", ItemId, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
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
    # added in revision 0005 (publisher.delivery_lifecycle)
    Column("waiting_for", String(20)),  # "operator": in doubt, and only a person can settle it
    Column("in_flight_until", UTCDateTime),  # an earlier request may still be in flight until then
    # added in revision 0007 (publisher.updating): the item revision the channel's copy shows, and
    # "left" (the editor left the old copy there) or "failed" (the channel refused the update for good)
    Column("revision", Integer),
    Column("update_state", String(20)),
    # added in revision 0011: when reconciliation recorded that the platform removed the published copy
    Column("removed_at", UTCDateTime),
    UniqueConstraint("item_id", "channel", name="uq_deliveries_item_channel"),
)
Index("ix_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)
Index("ix_deliveries_published", deliveries.c.published_at)
# revision 0009: the ledger's year query (publisher.tally): published deliveries only, by status in time order
Index("ix_deliveries_ledger", deliveries.c.status, deliveries.c.published_at, deliveries.c.channel,
      deliveries.c.item_id, sqlite_where=deliveries.c.published_at.isnot(None),
      postgresql_where=deliveries.c.published_at.isnot(None))

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("item_id", ItemId, ForeignKey("items.id", ondelete="CASCADE")),
    Column("delivery_id", Integer),
    Column("channel", String(64)),
    # queued | claimed | attempt | published | failed | in_doubt | dead | retracted | paused | ...
    Column("kind", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("detail", JSON, nullable=False, default=dict),
    # added in revision 0003: the audit chain (publisher.audit)
    Column("office", String(64)),
    Column("seq", BigInteger),  # position in the chain: 1, 2, 3 … without gaps
    Column("hash", String(64)),  # sha256 over the previous event's hash and this event
    # added in revision 0011: HMAC-SHA256 of ``hash`` under the key named by config ``audit.key_env``
    Column("mac", String(64)),
)
Index("ix_events_item", events.c.item_id)
Index("ix_events_actor", events.c.actor)
Index("ix_events_seq", events.c.seq, unique=True)

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
    Column("item_id", ItemId, ForeignKey("items.id", ondelete="SET NULL")),
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

# -- added in revision 0003: users, review, gate ------------------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False),  # unique per office (revision 0013; before it, unique overall)
    Column("display_name", String(200), nullable=False, default=""),
    Column("role", String(20), nullable=False),  # publisher.users.Role
    Column("office", String(64), nullable=False),
    Column("password_hash", Text),  # Argon2id; NULL: no console login
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False, default=""),
    UniqueConstraint("office", "name", name="uq_users_office_name"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),  # the token itself is never stored
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    # added in revision 0012
    Column("name", String(80), nullable=False, default="", server_default=""),  # what the token is for
    Column("expires_at", UTCDateTime),  # NULL: never
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id_sha256", String(64), primary_key=True),  # the cookie's value itself is never stored
    Column("user_name", String(80), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("user_id", Integer, index=True),  # added in revision 0013 (user_name alone is ambiguous across offices)
)

item_revisions = Table(
    "item_revisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", ItemId, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("title", String(1000), nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("body_html", Text, nullable=False, default=""),
    Column("attachments", JSON, nullable=False, default=list),  # [{"sha256", "filename"}]
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("item_id", "revision", name="uq_item_revisions"),
)

review_decisions = Table(
    "review_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", ItemId, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("step", Integer),  # index into review.steps; NULL for a submission
    Column("step_name", String(100)),
    Column("actor", String(80), nullable=False),
    Column("decision", String(20), nullable=False),  # publisher.review.Decision
    Column("comment", Text, nullable=False, default=""),
    Column("override_reason", Text),
    Column("at", UTCDateTime, nullable=False),
)
Index("ix_review_decisions_item", review_decisions.c.item_id)

gate_findings = Table(
    "gate_findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", ItemId, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("kind", String(20), nullable=False),  # publisher.gate.FindingKind
    Column("field", String(600), nullable=False),
    Column("location", String(200), nullable=False),  # "line 3", "sheet 名单 cell C7"
    Column("text", Text, nullable=False),
    Column("suggestion", Text),
)
Index("ix_gate_findings_item", gate_findings.c.item_id)

standing_approvals = Table(
    "standing_approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("office", String(64), nullable=False),
    Column("series", String(200), nullable=False),
    Column("template_sha256", String(64), nullable=False),
    Column("granted_by", String(80), nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("revoked_reason", Text),
)
Index("ix_standing_approvals_series", standing_approvals.c.series)


corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("office", String(64), nullable=False),
    Column("item_id", ItemId, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("revision", Integer, nullable=False),  # the revision the re-scan read
    Column("kind", String(20), nullable=False),  # publisher.gate.FindingKind
    Column("field", String(600), nullable=False),
    Column("location", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("suggestion", Text),
    Column("fingerprint", String(64), nullable=False),  # of the term list and gate rules that found it
    Column("status", String(20), nullable=False),  # publisher.inspection.corrections.CorrectionStatus
    Column("opened_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Column("closed_by", String(80)),
    Column("reason", Text),
)
Index("ix_corrections_item", corrections.c.item_id)
Index("ix_corrections_status", corrections.c.office, corrections.c.status)

inspection_state = Table(
    "inspection_state",
    metadata,
    Column("office", String(64), primary_key=True),
    Column("name", String(40), primary_key=True),  # "rules_fingerprint", "links"
    Column("value", JSON, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

# 转载任务 (reposts mandated by a higher body), revision 0015: one row per task, one per account that must carry it
repost_tasks = Table(
    "repost_tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("office", String(64), nullable=False),
    Column("title", String(1000), nullable=False),
    Column("source_url", String(2000)),
    Column("source_file", String(255)),  # the document's file name; its bytes are in the attachment store
    Column("source_sha256", String(64)),
    Column("issuer", String(200), nullable=False),  # the body that mandated it (e.g. 市委网信办)
    Column("due_on", Date, nullable=False),
    Column("category", String(200)),
    Column("item_id", ItemId, ForeignKey("items.id", ondelete="SET NULL")),  # the item `reposts make` queued
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
)
Index("ix_repost_tasks_office_due", repost_tasks.c.office, repost_tasks.c.due_on)

repost_accounts = Table(
    "repost_accounts",
    metadata,
    Column("task_id", Integer, ForeignKey("repost_tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("account", String(100), primary_key=True),  # a channel's name, or an account publisher does not serve
    Column("carried_url", String(2000)),  # evidence recorded by hand (copies made outside publisher)
    Column("carried_at", UTCDateTime),
    Column("recorded_by", String(200)),
)

# closing an account (停更): its 停更公告 first, then the channel is disabled; revision 0015
channel_closures = Table(
    "channel_closures",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("office", String(64), nullable=False),
    Column("state", String(20), nullable=False),  # publisher.ledger.closure_state.ClosureState
    Column("notice_item_id", ItemId, ForeignKey("items.id", ondelete="SET NULL")),
    Column("requested_by", String(200), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("notice_url", String(2000)),
    Column("closed_at", UTCDateTime),
)


def check_fits(table: Table, values: dict) -> None:
    """InputError naming the first value longer than its column: SQLite would keep it, PostgreSQL refuse it."""
    from publisher.errors import InputError
    from publisher.foundation.i18n import _

    for name, value in values.items():
        column = table.c.get(name)
        length = getattr(column.type, "length", None) if column is not None else None
        if length and isinstance(value, str) and len(value) > length:
            raise InputError(_("{count} characters; at most {length} fit").format(count=len(value), length=length),
                             field=name)
