"""Channel health for the 工作台: when each channel last took an item, whether it is paused and why, what is
failing, and what will fail soon (credentials about to expire, access tokens being refused), so a person acts
before the failures pile up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select

from publisher.db.engine import reading
from publisher.db.schema import deliveries, events, items
from publisher.foundation.i18n import shown
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.item_status import ItemStatus
from publisher.ledger.lifecycle import DeliveryStatus as S
from publisher.runtime.app import App

EXPIRY_WARNING_DAYS = 30
TOKEN_WINDOW = timedelta(hours=24)
#: what a pause or error is about, found by the words of the adapters' messages (any channel type may use them)
CAUSES = (("ip_whitelist", ("IP whitelist", "IP白名单")), ("credentials", ("credentials", "AppSecret", "token was rejected")),
          ("quota", ("quota",)))


@dataclass
class ChannelHealth:
    """One channel's state: ``level`` is ``ok``, ``warn`` or ``bad``; ``problems`` are Chinese sentences."""

    name: str
    display_name: str
    last_success: datetime | None = None
    paused: dict | None = None
    cause: str | None = None  # a CAUSES key for the pause
    failing: int = 0
    token_errors: int = 0
    expires_on: date | None = None
    problems: list[str] = field(default_factory=list)
    level: str = "ok"


def cause_of(text: str | None) -> str | None:
    """Which CAUSES key a pause reason or error names, if any."""
    for key, words in CAUSES:
        if text and any(w in text for w in words):
            return key
    return None


def channel_health(app: App, office: str) -> list[ChannelHealth]:
    """Every enabled channel's health, the troubled ones first."""
    now = app.clock.now()
    paused = app.store.paused_channels()
    with reading(app.store.engine) as conn:
        failing = dict(conn.execute(
            select(deliveries.c.channel, func.count()).join(items, items.c.id == deliveries.c.item_id)
            .where(and_(deliveries.c.status.in_((S.FAILED, S.DEAD)), items.c.office == office,
                        items.c.status == ItemStatus.ACTIVE)).group_by(deliveries.c.channel)).all())
        tokens = _token_errors(conn, now - TOKEN_WINDOW)
        out = [_one(app, conn, name, settings, paused.get(name), failing.get(name, 0), tokens.get(name, 0), now)
               for name, settings in app.config.channels.items() if settings.enabled]
    return sorted(out, key=lambda h: ({"bad": 0, "warn": 1, "ok": 2}[h.level], h.name))


def _last_success(conn, name: str):
    return conn.execute(select(func.max(deliveries.c.published_at)).where(and_(
        deliveries.c.status == S.PUBLISHED, deliveries.c.channel == name))).scalar()


def _token_errors(conn, since: datetime) -> dict[str, int]:
    """Failures in the window whose error says an access token or the credentials were refused, per channel."""
    rows = conn.execute(select(events.c.channel, events.c.detail).where(and_(
        events.c.kind == EventKind.FAILED, events.c.at >= since)).order_by(events.c.id.desc()).limit(2000))
    counts: dict[str, int] = {}
    for channel, detail in rows:
        if cause_of((detail or {}).get("error")) == "credentials":
            counts[channel] = counts.get(channel, 0) + 1
    return counts


def _one(app: App, conn, name: str, settings, pause: dict | None, failing: int, tokens: int,
         now: datetime) -> ChannelHealth:
    health = ChannelHealth(name, settings.display_name or name, _last_success(conn, name), pause,
                           cause_of(pause["reason"]) if pause else None, failing, tokens,
                           getattr(settings, "credentials_expire_on", None))
    if pause:
        health.problems.append(_pause_sentence(health, pause))
    if failing:
        health.problems.append(f"{failing} 条发布失败待处理（修好后可一次全部重试）")
    if tokens:
        health.problems.append(f"近24小时有 {tokens} 次访问令牌或凭据被拒绝：请核对凭据，否则即将暂停")
    today = now.astimezone(app.config.tz).date()
    if health.expires_on is not None:
        left = (health.expires_on - today).days
        if left < 0:
            health.problems.append(f"凭据已于 {health.expires_on} 到期：请更换凭据")
        elif left <= EXPIRY_WARNING_DAYS:
            health.problems.append(f"凭据将于 {health.expires_on} 到期（还有 {left} 天）：请提前更换")
    bad = pause is not None or failing or (health.expires_on is not None and health.expires_on < today)
    health.level = "bad" if bad else ("warn" if health.problems else "ok")
    return health


def _pause_sentence(health: ChannelHealth, pause: dict) -> str:
    what = {"ip_whitelist": "本机 IP 不在该账号的 IP 白名单中", "credentials": "凭据被拒绝",
            "quota": "当日接口调用次数已用完"}.get(health.cause or "", "已暂停")
    until = "，到时自动恢复" if pause.get("until") else "，修好后请点“恢复并重试”"
    return f"{what}{until}。原因：{shown(pause['reason'])}"
