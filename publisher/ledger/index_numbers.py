"""索引号: each item's number in the disclosure catalogue, handed out once from a per-year sequence, never reused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from publisher.config.load import Config
from publisher.db.schema import catalogue_sequences, items
from publisher.ledger.event_kinds import EventKind


def assign_number(conn: Connection, config: Config, item_id: int, at: datetime) -> str | None:
    """Give the item its 索引号 if it has none (the next number of its organisation and year); returns the new
    number, or None when it already had one. Safe under several daemons and console users: the sequence row is
    locked by the UPDATE until the transaction ends."""
    if conn.execute(select(items.c.index_no).where(items.c.id == item_id)).scalar() is not None:
        return None
    org = config.catalogue.org_code or config.office.code
    year = at.astimezone(config.tz).year
    pattern = config.catalogue.index_pattern
    sequence_year = year if "{year" in pattern else 0  # a pattern without the year never restarts its sequence
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(catalogue_sequences).values(org_code=org, year=sequence_year, last_seq=0)
                 .on_conflict_do_nothing())
    where = (catalogue_sequences.c.org_code == org) & (catalogue_sequences.c.year == sequence_year)
    conn.execute(update(catalogue_sequences).where(where).values(last_seq=catalogue_sequences.c.last_seq + 1))
    seq = conn.execute(select(catalogue_sequences.c.last_seq).where(where)).scalar_one()
    number = pattern.format(org_code=org, year=year, seq=seq)
    taken = conn.execute(update(items).where(items.c.id == item_id, items.c.index_no.is_(None))
                         .values(index_no=number)).rowcount
    return number if taken else None  # another transaction numbered the item first: this number is left unused


def assign(app, conn: Connection, item_id: int, actor: str) -> str | None:
    """Assign the item's 索引号 now (if it has none) and record it in the audit chain; the year is the current one."""
    now = app.clock.now()
    number = assign_number(conn, app.config, item_id, now)
    if number is not None:
        office = conn.execute(select(items.c.office).where(items.c.id == item_id)).scalar()
        app.store.event(conn, EventKind.INDEX_ASSIGNED, actor=actor, item_id=item_id, office=office, index_no=number)
    return number


def record_first_publications(app, conn: Connection, firsts: dict[int, datetime], *, actor: str) -> None:
    """For each item of ``firsts`` (item → when a channel accepted it), the moment the first channel accepted it,
    set once; an item still without a 索引号 gets it now. A few statements for all of them: the items still
    without a first publication are read locked (on SQLite the transaction holds the write lock already)."""
    if not firsts:
        return
    ids = sorted(firsts)
    unset = select(items.c.id, items.c.index_no).where(items.c.id.in_(ids), items.c.first_published_at.is_(None))
    if conn.dialect.name == "postgresql":  # another daemon may set one meanwhile: lock what is still unset
        unset = unset.order_by(items.c.id).with_for_update(key_share=True)
    rows = conn.execute(unset).all()
    if not rows:
        return
    conn.execute(update(items).where(items.c.id == bindparam("item")).values(
        first_published_at=bindparam("at", type_=items.c.first_published_at.type)),
                 [{"item": row.id, "at": firsts[row.id]} for row in rows])
    for row in rows:
        if row.index_no is None:
            assign(app, conn, row.id, actor)
