"""An item's own status (``items.status``): live, or retracted for good."""

from __future__ import annotations

from enum import StrEnum


class ItemStatus(StrEnum):
    """Whether an item is still wanted (``items.status``); its deliveries have statuses of their own."""

    ACTIVE = "active"
    RETRACTED = "retracted"  # taken down (or cancelled) on every channel; never active again


TRANSITIONS: dict[ItemStatus, frozenset[ItemStatus]] = {
    ItemStatus.ACTIVE: frozenset({ItemStatus.RETRACTED}),
    ItemStatus.RETRACTED: frozenset(),
}
