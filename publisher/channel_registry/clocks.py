"""The inspection clocks (政府网站与政务新媒体检查): how long each channel, each column (category) and each column on a
channel may go without a publication, and how many days each has left.

Limits, first found wins: a channel's ``max_idle`` and ``column_idle``; the report's ``report.idle.channels`` and
``report.idle.categories``; else two weeks for new-media and portal channels and for news-like columns, six months
for notice- and policy-like columns (matched by the words in their names).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, func, select

from publisher.db.engine import reading
from publisher.db.schema import deliveries, items
from publisher.foundation.durations import parse_duration
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.report.settings import report_settings
from publisher.runtime.app import App

NEWS_DAYS, NOTICE_DAYS = 14, 183
NEWS_WORDS = ("动态", "新闻", "要闻", "工作")
NOTICE_WORDS = ("公示", "公告", "通知", "政策", "文件", "规划", "计划")
NEWS_CHANNEL_TYPES = ("wechat", "cms", "wordpress")


@dataclass
class Clock:
    """One clock: ``what`` is channel, category or column (a category on one channel)."""

    what: str
    name: str
    label: str
    limit: int  # days
    last: datetime | None
    days_left: int | None  # None: nothing published yet (at risk now)
    channel: str | None = None
    category: str | None = None

    def as_dict(self) -> dict:
        return asdict(self) | {"last": self.last.isoformat() if self.last else None}


def _days(text: str) -> int:
    return max(1, parse_duration(text).days)


def limits(app: App) -> list[tuple[str, str | None, str | None, int]]:
    """(what, channel, category, days) for every clock the configuration asks for."""
    idle = report_settings(app.config)[0].idle
    out = []
    for name, s in app.config.channels.items():
        if not s.enabled:
            continue
        text = s.max_idle or idle.channels.get(name)
        if text or s.type in NEWS_CHANNEL_TYPES:
            out.append(("channel", name, None, _days(text) if text else NEWS_DAYS))
        out += [("column", name, cat, _days(t)) for cat, t in s.column_idle.items() if cat in app.config.categories]
    for cat in app.config.categories:
        text = idle.categories.get(cat)
        if text:
            out.append(("category", None, cat, _days(text)))
        elif any(w in cat for w in NOTICE_WORDS):
            out.append(("category", None, cat, NOTICE_DAYS))
        elif any(w in cat for w in NEWS_WORDS):
            out.append(("category", None, cat, NEWS_DAYS))
    return out


def clocks(app: App, office: str) -> list[Clock]:
    """Every configured clock with its last publication and days left, most urgent first."""
    last = _last_publications(app, office)
    now = app.clock.now()
    out = []
    for what, channel, category, limit in limits(app):
        when = last.get((channel, category))
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        left = limit - (now - when).days if when else None
        out.append(Clock(what, channel or category, _label(app, channel, category), limit, when, left,
                         channel, category))
    return sorted(out, key=lambda c: (c.days_left is not None, c.days_left or 0))


def _label(app: App, channel: str | None, category: str | None) -> str:
    name = (app.config.channels[channel].display_name or channel) if channel else None
    return "·".join(x for x in (name, category) if x)


def _last_publications(app: App, office: str) -> dict[tuple[str | None, str | None], datetime]:
    """(channel, None), (None, category) and (channel, category) → the latest publication there."""
    published = and_(deliveries.c.status == DeliveryStatus.PUBLISHED, items.c.office == office)
    joined = deliveries.join(items, items.c.id == deliveries.c.item_id)
    latest = func.max(deliveries.c.published_at)
    out: dict[tuple[str | None, str | None], datetime] = {}
    with reading(app.store.engine) as conn:
        for ch, cat, when in conn.execute(select(deliveries.c.channel, items.c.category, latest).select_from(joined)
                                          .where(published).group_by(deliveries.c.channel, items.c.category)):
            out[(ch, cat)] = when
            for key in ((ch, None), (None, cat)):
                if key not in out or out[key] < when:
                    out[key] = when
    return out


def warn_days(app: App) -> int:
    """How many days ahead of a limit the notifications warn (``report.idle.warn_days``)."""
    return report_settings(app.config)[0].idle.warn_days
