"""Back-fill: publications an office made before adopting publisher, recorded as already published.

They count in tallies and the report, are marked imported in the appendix, and are never sent to a channel:
their deliveries are written ``published`` with the channel's own URL and time, so the dispatcher never claims them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from publisher.errors import InputError
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.item_status import ItemStatus
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.ledger.review_state import ReviewState
from publisher.report.registers.tables import backfilled
from publisher.db.schema import deliveries, items
from publisher.ledger.deliveries import new_delivery
from publisher.foundation.i18n import _
from publisher.report.registers.sheets import read_rows

FIELDS = ("channel", "title", "category", "published_at", "url", "external_id", "group")


def parse_row(n: int, raw: Any, config) -> dict[str, Any]:
    """One earlier publication, validated against the config; InputError naming line and field."""
    if not isinstance(raw, dict):
        raise InputError(_("line {n}: not an object").format(n=n), field="FILE")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise InputError(_("line {n}: unknown field (use {names})").format(
                             n=n, names=', '.join(FIELDS)), field=unknown[0])
    row = {k: str(raw.get(k) or "").strip() for k in FIELDS}
    if row["channel"] not in config.channels:
        raise InputError(_("line {n}: {channel!r} is not a configured channel").format(
                             n=n, channel=row['channel']), field="channel")
    if not row["title"]:
        raise InputError(_("line {n}: missing").format(n=n), field="title")
    if row["category"] not in config.categories:
        raise InputError(_("line {n}: {category!r} is not a configured category").format(
                             n=n, category=row['category']), field="category")
    try:
        when = datetime.fromisoformat(row["published_at"])
    except ValueError:
        raise InputError(_("line {n}: {published_at!r} is not an ISO 8601 time").format(
                             n=n, published_at=row['published_at']), field="published_at") from None
    row["published_at"] = when if when.tzinfo else when.replace(tzinfo=config.tz)
    if not row["url"]:
        raise InputError(_("line {n}: missing (the publication's address on the channel)").format(n=n), field="url")
    return row


def backfill_file(app, path: Path) -> list[int]:
    """Record every row of ``path`` in one transaction (all or none); returns the new item ids."""
    rows = [parse_row(n, raw, app.config) for n, raw in read_rows(path)]
    store = app.store
    now = store.clock.now()
    actor = getattr(app, "actor", "") or "backfill"
    ids: list[int] = []
    by_group: dict[str, tuple[int, str, set[str]]] = {}
    with store.transaction() as conn:
        for n, row in enumerate(rows, 1):
            group = row["group"] or f"#{n}"
            if group in by_group:
                item_id, uid, channels = by_group[group]
                if row["channel"] in channels:
                    raise InputError(_("row {n}: group {group!r} lists channel {channel} twice").format(
                                         n=n, group=group, channel=row['channel']), field="group")
            else:
                uid = uuid.uuid4().hex
                item_id = conn.execute(items.insert().values(
                    uid=uid, title=row["title"], category=row["category"], body_html="", summary="", author="",
                    department="", publish_at=row["published_at"], created_at=now, created_by=actor,
                    status=ItemStatus.ACTIVE.value, review_state=ReviewState.APPROVED.value, channel_options={},
                    office=app.config.office.code)).inserted_primary_key[0]
                conn.execute(backfilled.insert().values(item_id=item_id, source=str(path), imported_at=now))
                channels = set()
                by_group[group] = (item_id, uid, channels)
                ids.append(item_id)
            channels.add(row["channel"])
            conn.execute(deliveries.insert().values(new_delivery(
                item_id, uid, row["channel"], status=DeliveryStatus.PUBLISHED, next_attempt_at=row["published_at"],
                now=now, external_id=row["external_id"] or None, external_url=row["url"],
                published_at=row["published_at"])))
            store.event(conn, EventKind.BACKFILLED, actor=actor, item_id=item_id, channel=row["channel"],
                        office=app.config.office.code, url=row["url"], source=str(path))
        _first_publications(conn, ids)
    return ids


def _first_publications(conn, ids: list[int]) -> None:
    """A back-filled item was first published when its earliest recorded publication was (补录: as recorded, never
    re-sent)."""
    for item_id in ids:
        first = conn.execute(select(func.min(deliveries.c.published_at)).where(deliveries.c.item_id == item_id)).scalar()
        conn.execute(update(items).where(items.c.id == item_id).values(first_published_at=first))
