"""部分发布: an item some channels have and others failed to take — which ones, and why."""

from __future__ import annotations

from publisher.ledger.lifecycle import DeliveryStatus as S

#: a channel in one of these, while another has the item, makes the item partly published
FAILED = (S.FAILED, S.DEAD, S.IN_DOUBT)


def failed_channels(deliveries: list[dict]) -> list[dict]:
    """The deliveries that failed while at least one other channel published the item (empty: not partial)."""
    if not any(d["status"] == S.PUBLISHED for d in deliveries):
        return []
    return [d for d in deliveries if d["status"] in FAILED]


def partly_published(engine, office: str, *, limit: int = 50) -> list[dict]:
    """The office's active items that are out on some channel and failed on another, newest first:
    ``{"id", "title", "failed": [{"channel", "status", "last_error"}]}``."""
    from sqlalchemy import and_, exists, select

    from publisher.db.engine import reading
    from publisher.db.schema import deliveries, items
    from publisher.ledger.item_status import ItemStatus

    published = deliveries.alias("published")
    with reading(engine) as conn:
        rows = conn.execute(
            select(items.c.id, items.c.title, deliveries.c.channel, deliveries.c.status, deliveries.c.last_error)
            .join(deliveries, deliveries.c.item_id == items.c.id)
            .where(and_(items.c.office == office, items.c.status == ItemStatus.ACTIVE,
                        deliveries.c.status.in_(FAILED),
                        exists().where(and_(published.c.item_id == items.c.id,
                                            published.c.status == S.PUBLISHED))))
            .order_by(items.c.id.desc()).limit(limit * 4)).all()
    out: dict[int, dict] = {}
    for r in rows:
        entry = out.setdefault(r.id, {"id": r.id, "title": r.title, "failed": []})
        entry["failed"].append({"channel": r.channel, "status": r.status, "last_error": r.last_error})
    return list(out.values())[:limit]
