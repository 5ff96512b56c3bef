"""The office's disclosure catalogue (政府信息公开目录) for a year: one row per record first published in it, in
order of publication, as an inspector or a portal's import reads it (CSV, Excel or JSON), written as it is read."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Iterator

from sqlalchemy import and_, func, select

from publisher.config.load import Config
from publisher.db.engine import reading
from publisher.db.schema import deliveries, items
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.ledger.store import Store
from publisher.ledger.years import year_bounds
from publisher.report.registers.tables import backfilled

FORMATS = ("csv", "xlsx", "json")
BACKFILLED = "补录"


@dataclass(frozen=True)
class Column:
    """One column of the catalogue: its key (JSON) and its heading (CSV, Excel)."""

    key: str
    heading: str


COLUMNS = (
    Column("index_no", "索引号"), Column("title", "名称"), Column("issuer", "发布机构"), Column("doc_no", "文号"),
    Column("written_on", "成文日期"), Column("published_on", "发布日期"), Column("subject", "主题分类"),
    Column("genre", "体裁"), Column("category", "栏目"), Column("disclosure", "公开方式"),
    Column("validity", "有效性"), Column("validity_on", "有效性变更日期"), Column("interprets", "解读对象索引号"),
    Column("url", "链接"), Column("note", "备注"),
)


def catalogue_rows(store: Store, config: Config, year: int) -> Iterator[dict[str, Any]]:
    """The catalogue's rows for ``year`` (by first publication in the office's time zone), one at a time, from one
    query (each record's first address and its policy's 索引号 come with it, not a query per row)."""
    start, end = year_bounds(year, config)
    policy = items.alias("policy")
    # coalesce(status): a plain status test leads SQLite to its index on status (every published delivery, for each
    # record) instead of the one on (item_id, channel)
    first_url = (select(deliveries.c.external_url).where(and_(
        deliveries.c.item_id == items.c.id, func.coalesce(deliveries.c.status, "") == DeliveryStatus.PUBLISHED.value,
        deliveries.c.external_url.is_not(None))).order_by(deliveries.c.published_at).limit(1)
        .correlate(items).scalar_subquery())
    query = (select(items.c.id, items.c.title, items.c.category, items.c.index_no, items.c.issuer, items.c.doc_no,
                    items.c.written_on, items.c.subject, items.c.genre, items.c.disclosure, items.c.validity,
                    items.c.validity_on, items.c.first_published_at, policy.c.index_no.label("policy"),
                    first_url.label("url"), backfilled.c.item_id.label("backfilled"))
             .select_from(items.outerjoin(backfilled, backfilled.c.item_id == items.c.id)
                          .outerjoin(policy, policy.c.id == items.c.interprets))
             .where(and_(items.c.office == config.office.code, items.c.first_published_at >= start,
                         items.c.first_published_at < end))
             .order_by(items.c.first_published_at, items.c.id))
    with reading(store.engine) as conn:
        for row in conn.execution_options(stream_results=True, yield_per=1000).execute(query).mappings():
            yield _row(config, row)


def _row(config: Config, row) -> dict[str, Any]:
    day = lambda value: value.isoformat() if value else ""  # noqa: E731
    return {
        "index_no": row["index_no"] or "", "title": row["title"], "issuer": row["issuer"] or config.office.name,
        "doc_no": row["doc_no"] or "", "written_on": day(row["written_on"]),
        "published_on": day(row["first_published_at"].astimezone(config.tz).date()), "subject": row["subject"] or "",
        "genre": row["genre"] or "", "category": row["category"], "disclosure": row["disclosure"],
        "validity": row["validity"], "validity_on": day(row["validity_on"]), "interprets": row["policy"] or "",
        "url": row["url"] or "", "note": BACKFILLED if row["backfilled"] else "",
    }


def write_catalogue(rows: Iterator[dict[str, Any]], fmt: str, out: IO[bytes]) -> int:
    """Write ``rows`` to ``out`` in ``fmt``; returns the number of rows."""
    return {"csv": _csv, "xlsx": _xlsx, "json": _json}[fmt](rows, out)


def _csv(rows, out: IO[bytes]) -> int:
    out.write("\ufeff".encode())  # Excel opens UTF-8 CSV with its BOM
    count = 0
    writer = csv.writer(_TextOut(out))
    writer.writerow([c.heading for c in COLUMNS])
    for row in rows:
        writer.writerow([row[c.key] for c in COLUMNS])
        count += 1
    return count


def _json(rows, out: IO[bytes]) -> int:
    out.write(b"[")
    count = 0
    for row in rows:
        out.write((b",\n" if count else b"\n") + json.dumps(row, ensure_ascii=False).encode())
        count += 1
    out.write(b"\n]\n")
    return count


def _xlsx(rows, out: IO[bytes]) -> int:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("政府信息公开目录")
    sheet.append([c.heading for c in COLUMNS])
    count = 0
    for row in rows:
        sheet.append([row[c.key] for c in COLUMNS])
        count += 1
    book.save(out)
    return count


class _TextOut:
    """A text face on a binary stream, for csv.writer."""

    def __init__(self, out: IO[bytes]):
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(text.encode("utf-8"))


def default_name(year: int, fmt: str) -> Path:
    """The file name an export gets when none is given."""
    return Path(f"政府信息公开目录-{year}.{fmt}")


def this_year(config: Config, now: datetime) -> int:
    """The office's current year."""
    return now.astimezone(config.tz).year
