"""An office's local year and months as UTC instants: the bounds every ledger count uses."""

from __future__ import annotations

from datetime import datetime, timezone

from publisher.config.load import Config


def year_bounds(year: int, config: Config) -> tuple[datetime, datetime]:
    """The UTC instants where the office's local ``year`` starts and ends."""
    start = datetime(year, 1, 1, tzinfo=config.tz).astimezone(timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=config.tz).astimezone(timezone.utc)
    return start, end


def month_bounds(year: int, config: Config) -> list[datetime]:
    """Thirteen UTC instants: where each local month of ``year`` starts, and where the year ends."""
    starts = [datetime(year, m, 1, tzinfo=config.tz) for m in range(1, 13)]
    return [s.astimezone(timezone.utc) for s in starts] + [year_bounds(year, config)[1]]
