"""New delivery rows: one per item and channel, each with the idempotency key its channel sees on every attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from publisher.ledger.lifecycle import DeliveryStatus


def idempotency_key(uid: str, channel: str) -> str:
    """The key of the delivery of item ``uid`` to ``channel``: the same on every attempt, retry and restart."""
    return f"{uid}-{channel}"


def new_delivery(item_id: int, uid: str, channel: str, *, next_attempt_at: datetime, now: datetime,
                 status: DeliveryStatus = DeliveryStatus.PENDING, **values: Any) -> dict[str, Any]:
    """The row that inserts a delivery of item ``item_id`` (uid ``uid``) to ``channel``, no attempt made yet;
    ``values``: further columns (a backfilled copy's external id, url and time)."""
    return dict(item_id=item_id, channel=channel, status=DeliveryStatus(status).value, attempts=0, version=0,
                retract_requested=False, next_attempt_at=next_attempt_at,
                idempotency_key=idempotency_key(uid, channel), checkpoint={}, updated_at=now, **values)
