"""Notifications: who must hear about an event (from the audit chain), told through 企业微信/钉钉 group robots
and e-mail. The console's 工作台 shows the same things from the live state."""

from __future__ import annotations

import logging
import smtplib
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import cached_property
from typing import Any, Callable

import requests
from sqlalchemy import and_, func, insert, select, update

from publisher.runtime.app import App
from publisher.db.engine import reading
from publisher.db.schema import channel_state, events, item_revisions, items, users
from publisher.accounts.users import Role
from publisher.foundation.i18n import shown
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.event_sentences import shown_error
from publisher.review.workflow import ReviewState

log = logging.getLogger("publisher.notify")
CURSOR = ("notify", "cursor")  # channel_state row: the last event id already notified
BATCH = 500
WEBHOOK_TIMEOUT = 5


@dataclass
class Notice:
    """One thing to tell: its kind (the event's), the text, and the users it is for (empty: operators' group)."""

    kind: str
    text: str
    recipients: list[str] = field(default_factory=list)
    item_id: int | None = None


def _office_users(conn, office: str | None, roles: tuple[str, ...]) -> list[str]:
    q = select(users.c.name).where(and_(users.c.role.in_(roles), users.c.disabled.is_(False)))
    if office is not None:
        q = q.where(users.c.office == office)
    return list(conn.execute(q.order_by(users.c.name)).scalars())


OPERATORS = (Role.APPROVER, Role.ADMIN)
LATE_APPROVED = "late_approved"  # a notice of its own (webhooks may ask for it), told with review_approved


@dataclass
class EventContext:
    """One audit event with what the notice rules read of it: its item (if any), title, office and authors."""

    app: App
    conn: Any
    event: dict
    item: Any = None

    @property
    def detail(self) -> dict:
        return self.event["detail"] or {}

    @property
    def title(self) -> str:
        return f"《{self.item.title}》" if self.item else ""

    @property
    def office(self) -> str | None:
        return self.item.office if self.item else self.event.get("office")

    @cached_property
    def authors(self) -> list[str]:
        if not self.item:
            return []
        return list(self.conn.execute(select(item_revisions.c.created_by).distinct()
                                      .where(item_revisions.c.item_id == self.item.id)).scalars())

    @property
    def step(self):
        """The configured step the item waits for."""
        steps = self.app.config.review.steps
        return steps[min(self.item.review_step or 0, len(steps) - 1)]



def _step_reviewers(told: EventContext) -> list[str]:
    roles = (Role.REVIEWER, Role.APPROVER) if told.step.role == Role.REVIEWER else (Role.APPROVER,)
    return [u for u in _office_users(told.conn, told.office, roles)
            if u not in told.authors and u != told.event["actor"]]


def _channel_name(told: EventContext) -> str:
    return _display_name(told, told.event["channel"] or "")


def _display_name(told: EventContext, name: str) -> str:
    channel = told.app.config.channels.get(name)
    return (channel.display_name if channel else None) or name


def _failure(told: EventContext, text: str | None) -> str:
    """A stored channel error as the office reads it (channels by display name, Chinese words)."""
    return shown_error(text, lambda name: _display_name(told, name)) if text else ""


def _authors(told: EventContext) -> list[str]:
    return told.authors


def _office_operators(told: EventContext) -> list[str]:
    return _office_users(told.conn, told.office, OPERATORS)


def _all_operators(told: EventContext) -> list[str]:
    return _office_users(told.conn, None, OPERATORS)


def _in_state(state: ReviewState) -> Callable[[EventContext], bool]:
    return lambda told: bool(told.item) and told.item.review_state == state


def _has_item(told: EventContext) -> bool:
    return bool(told.item)


def _always(told: EventContext) -> bool:
    return True


def _late_approval(told: EventContext) -> bool:
    return _in_state(ReviewState.APPROVED)(told) and bool(told.detail.get("late"))


@dataclass(frozen=True)
class Rule:
    """Who hears of an event, when, and what they are told; ``kind``: the notice's, when not the event's."""

    applies: Callable[[EventContext], bool]
    recipients: Callable[[EventContext], list[str]]
    text: Callable[[EventContext], str]
    kind: str | None = None


_NEXT_STEP = Rule(_in_state(ReviewState.IN_REVIEW), _step_reviewers,
                  lambda t: f"{t.title}等待{t.step.name}，请审核（信息编号 {t.item.id}）")
_APPROVED = Rule(_in_state(ReviewState.APPROVED), _authors, lambda t: f"{t.title}已通过终审，将按时发布")
_LATE = Rule(_late_approval, _office_operators,
             lambda t: f"{t.title}通过终审时已过发布时间" + ("，正等待新的发布时间" if t.detail.get("held") else "，将立即发布"),
             kind=LATE_APPROVED)
_REJECTED = Rule(_has_item, _authors, lambda t: f"{t.title}被退回：{t.detail.get('comment') or ''}")
_PUBLISHED = Rule(_has_item, _authors, lambda t: f"{t.title}已在{_channel_name(t)}发布")
_DEAD = Rule(_has_item, lambda t: list(dict.fromkeys(_authors(t) + _office_operators(t))),
             lambda t: f"{t.title}在{_channel_name(t)}发布失败，已停止重试：{_failure(t, t.detail.get('error'))}")
_PAUSED = Rule(_always, _all_operators, lambda t: f"渠道 {_channel_name(t)} 已暂停：{shown(t.detail.get('reason')) or ''}")
_RECONCILE_REFUSED = Rule(_always, _all_operators,
                          lambda t: f"渠道 {_channel_name(t)} 对账时 {t.detail.get('checked')} 条发布记录中有 "
                                    f"{t.detail.get('removed')} 条读不到，疑似渠道故障或配置错误，已拒绝记为删除，请核查")

def _idle_text(told: EventContext) -> str:
    d = told.detail
    left, limit = d.get("days_left"), d.get("limit")
    if left is None:
        where = "尚无发布记录"
    elif left >= 0:
        where = f"距“{limit}天未更新”的检查标准还有{left}天"
    else:
        where = f"已超过“{limit}天未更新”的检查标准{-left}天"
    return f"检查风险提示：{d.get('label')}{where}，请及时发布"


_IDLE = Rule(_always, _office_operators, _idle_text)
_CLOSED = Rule(_always, _office_operators,
               lambda t: f"渠道 {_channel_name(t)} 的停更公告已发布，该渠道已停用")

#: event kind → the notices it may give, in order
NOTICES: dict[str, tuple[Rule, ...]] = {
    EventKind.REVIEW_SUBMITTED: (_NEXT_STEP,),
    EventKind.REVIEW_RESTARTED: (_NEXT_STEP,),
    EventKind.REVIEW_APPROVED: (_NEXT_STEP, _APPROVED, _LATE),
    EventKind.REVIEW_REJECTED: (_REJECTED,),
    EventKind.PUBLISHED: (_PUBLISHED,),
    EventKind.DEAD: (_DEAD,),
    EventKind.PAUSED: (_PAUSED,),
    EventKind.RECONCILE_REFUSED: (_RECONCILE_REFUSED,),
    EventKind.IDLE_WARNING: (_IDLE,),
    EventKind.CHANNEL_CLOSED: (_CLOSED,),
}


def notices_for(app: App, conn, event: dict) -> list[Notice]:
    """What an audit event means for people: reviewers, the editor, operators. Empty for most events."""
    rules = NOTICES.get(event["kind"], ())
    if not rules:
        return []
    told = EventContext(app, conn, event)
    if event["item_id"] is not None:
        told.item = conn.execute(select(items.c.id, items.c.title, items.c.office, items.c.review_step,
                                        items.c.review_state).where(items.c.id == event["item_id"])).first()
    item_id = told.item.id if told.item else None
    return [Notice(rule.kind or event["kind"], rule.text(told), rule.recipients(told), item_id)
            for rule in rules if rule.applies(told)]


class Notifier:
    """Sends notices through the configured webhooks and SMTP relay (config ``notify:``)."""

    def __init__(self, app: App, *, session: requests.Session | None = None):
        self.app = app
        self.settings = app.config.notify
        self.http = session or requests.Session()

    @property
    def configured(self) -> bool:
        """Whether anything besides the console will hear about events."""
        return bool(self.settings.webhooks or self.settings.smtp)

    def deliver(self, notice: Notice) -> None:
        """Send one notice everywhere it is wanted; a failing target is logged (without its URL) and skipped."""
        text = notice.text + (f"\n{self.settings.console_url.rstrip('/')}/items/{notice.item_id}"
                              if self.settings.console_url and notice.item_id else "")
        for number, hook in enumerate(self.settings.webhooks):
            if hook.events and notice.kind not in hook.events:
                continue
            mention = "、".join(notice.recipients)
            content = text + (f"\n（{mention}）" if mention else "")
            try:
                response = self.http.post(hook.url, json={"msgtype": "text", "text": {"content": content}},
                                          timeout=WEBHOOK_TIMEOUT)
                if response.status_code >= 400:
                    log.warning("notify: webhook %d (%s) answered HTTP %s", number, hook.kind, response.status_code)
            except requests.RequestException as exc:
                log.warning("notify: webhook %d (%s) failed: %s", number, hook.kind, type(exc).__name__)
        smtp = self.settings.smtp
        if smtp and (not smtp.events or notice.kind in smtp.events):
            to = sorted({smtp.to[r] for r in notice.recipients if r in smtp.to})
            if to:
                self._mail(to, notice, text)

    def _mail(self, to: list[str], notice: Notice, text: str) -> None:
        smtp = self.settings.smtp
        message = EmailMessage()
        message["From"] = smtp.sender
        message["To"] = ", ".join(to)
        message["Subject"] = f"[{self.app.config.office.name}信息发布] {notice.text[:60]}"
        message.set_content(text)
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
                if smtp.starttls:
                    client.starttls()
                if smtp.username:
                    client.login(smtp.username, smtp.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("notify: e-mail to %d address(es) failed: %s", len(to), type(exc).__name__)


def _cursor(conn) -> int | None:
    value = conn.execute(select(channel_state.c.value).where(and_(
        channel_state.c.channel == CURSOR[0], channel_state.c.key == CURSOR[1]))).scalar()
    return int(value["last_event"]) if isinstance(value, dict) and "last_event" in value else None


def sweep(app: App, notifier: Notifier) -> int:
    """Notify about events appended since the last sweep; returns how many notices went out.

    The first sweep only marks where to start (no flood of old news). The cursor is kept in the database, so
    one console process after another carries on where the last stopped.
    """
    with reading(app.store.engine) as conn:
        last = _cursor(conn)
        newest = conn.execute(select(func.max(events.c.id))).scalar() or 0
        rows = [] if last is None else [dict(r) for r in conn.execute(
            select(events).where(events.c.id > last).order_by(events.c.id).limit(BATCH)).mappings()]
        notices = [n for row in rows for n in notices_for(app, conn, row)]
    for notice in notices:
        notifier.deliver(notice)
    upto = rows[-1]["id"] if rows else (newest if last is None else last)
    with app.store.engine.begin() as conn:
        if last is None:
            conn.execute(insert(channel_state).values(channel=CURSOR[0], key=CURSOR[1], version=0,
                                                      value={"last_event": upto}))
        elif upto != last:
            conn.execute(update(channel_state).where(and_(channel_state.c.channel == CURSOR[0],
                                                          channel_state.c.key == CURSOR[1]))
                         .values(value={"last_event": upto}))
    return len(notices)


class SweepThread(threading.Thread):
    """Runs :func:`sweep` every ``interval`` seconds until stopped (inside ``publisher serve``)."""

    def __init__(self, app: App, interval: float = 30.0):
        super().__init__(name="publisher-notify", daemon=True)
        self.app, self.interval, self.stopping = app, interval, threading.Event()
        self.notifier = Notifier(app)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                sweep(self.app, self.notifier)
            except Exception:  # keep serving the console; the next sweep tries again
                log.exception("notify: sweep failed")
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
