"""Tables of the report's registers and freezes, on ``publisher.schema.metadata`` (schema version 3)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from publisher.db.schema import UTCDateTime, metadata

applications = Table(  # 依申请公开: one row per disclosure application
    "applications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(100)),            # the office's own number, e.g. 如住建依申〔2019〕3号
    Column("received_on", Date, nullable=False),
    Column("applicant_type", String(20), nullable=False),   # 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他
    Column("subject", Text, nullable=False, default=""),
    Column("extended", Integer, nullable=False, default=0),  # 1: the one 20-working-day extension (Art. 33)
    Column("outcome", String(10)),               # a Table 三 row code, e.g. 1, 3.4, 6.1; NULL while open
    Column("closed_on", Date),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False, default=""),
    Column("office", String(64)),  # revision 0017: the office whose register it is (NULL: written before, any)
)
Index("ix_applications_received", applications.c.received_on)

application_pauses = Table(  # revision 0011: legal pauses of an application's clock (补正, 第三方, 收费)
    "application_pauses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("reason", String(10), nullable=False),  # 补正 | 第三方 | 收费
    Column("from_on", Date, nullable=False),
    Column("to_on", Date),  # NULL while the pause lasts
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False, default=""),
)
Index("ix_application_pauses_application", application_pauses.c.application_id)

appeals = Table(  # 行政复议 and 行政诉讼 about disclosure
    "appeals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(100)),
    Column("kind", String(20), nullable=False),  # 行政复议 | 未经复议直接起诉 | 复议后起诉
    Column("filed_on", Date, nullable=False),
    Column("result", String(20)),                # 结果维持 | 结果纠正 | 其他结果; NULL while 尚未审结
    Column("decided_on", Date),
    Column("created_at", UTCDateTime, nullable=False),
    Column("office", String(64)),  # revision 0017, as applications.office
)

report_freezes = Table(  # the figures as filed: later ledger changes show up in `report --diff`, never silently
    "report_freezes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False, unique=True),
    Column("template", String(10), nullable=False),
    Column("frozen_at", UTCDateTime, nullable=False),
    Column("frozen_by", String(200), nullable=False, default=""),
    Column("report", JSON, nullable=False),
)

backfilled = Table(  # publications made before publisher: counted, marked imported, never sent
    "backfilled",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("source", Text, nullable=False, default=""),
    Column("imported_at", UTCDateTime, nullable=False),
)
