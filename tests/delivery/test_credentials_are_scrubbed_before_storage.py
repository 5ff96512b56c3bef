"""Credentials in a URL a channel answers with (an error, an address) are masked before they reach the delivery
row, its events and the audit trail."""

from __future__ import annotations

from sqlalchemy import select

from publisher.db.engine import reading
from publisher.db.schema import deliveries, events
from publisher.items.intake import ItemRequest, queue_one
from publisher.ledger.lifecycle import DeliveryStatus as S, event, move


def test_a_password_in_an_error_or_an_address_is_never_stored(db_url, make_app, tmp_path):
    app = make_app(db_url, {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"), "site_url": "http://x.cn"}})
    item_id = queue_one(app, ItemRequest(title="公示", category="公示公告", body="<p>x</p>"))
    leaked = "http://editor:s3cret-pw@cms.example.gov.cn/a/1.html"
    with app.store.transaction() as conn:
        d = conn.execute(select(deliveries).where(deliveries.c.item_id == item_id)).first()
        assert move(conn, d.id, current=d.status, to=S.IN_DOUBT, version=d.version,
                    event=event("in_doubt", actor="daemon", at=app.clock.now(), item_id=item_id, channel="feed",
                                error=f"timeout posting to {leaked}", external_url=leaked),
                    last_error=f"timeout posting to {leaked}", external_url=leaked)
    with reading(app.store.engine) as conn:
        row = conn.execute(select(deliveries).where(deliveries.c.item_id == item_id)).first()
        details = [str(e) for e in conn.execute(select(events.c.detail).where(events.c.item_id == item_id)).scalars()]
    assert "s3cret-pw" not in row.last_error and "s3cret-pw" not in row.external_url
    assert "cms.example.gov.cn/a/1.html" in row.external_url
    assert not any("s3cret-pw" in d for d in details)
