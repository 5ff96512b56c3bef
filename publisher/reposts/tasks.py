"""The register of 转载任务: record tasks, read them back with each account's evidence, record a copy made by hand.

An account's evidence comes from the ledger when publisher carried the task (the channel's URL and the time the
channel accepted the task's item), else from what a person recorded (``reposts done``) for an account publisher
does not publish to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from publisher.accounts.users import Actor
from publisher.db.engine import reading
from publisher.db.schema import check_fits, deliveries, repost_accounts, repost_tasks
from publisher.errors import InputError, NotFound, Refused
from publisher.foundation.i18n import _, labelled
from publisher.foundation.urls import web_url_problem
from publisher.ledger.blobs import digest_file, store_file
from publisher.ledger.event_kinds import EventKind
from publisher.reposts.carry_state import CarryState, carry_state
from publisher.reposts.settings import repost_settings
from publisher.runtime.app import App

MAX_ACCOUNTS = 50


@dataclass
class TaskInput:
    """A task as given (CLI flags, an API body, one spreadsheet row), validated by :func:`parse_task`."""

    title: str
    due_on: date
    accounts: list[str]
    issuer: str = ""
    source_url: str | None = None
    source_file: Path | None = None
    category: str | None = None


@dataclass
class Evidence:
    """One account of a task: whether and where it carried the task."""

    account: str
    state: CarryState
    url: str | None = None
    at: datetime | None = None
    by: str | None = None  # "ledger" when publisher published it, else the user who recorded it
    published_by_us: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"account": self.account, "state": self.state.value, "url": self.url,
                "at": self.at.isoformat() if self.at else None, "by": self.by,
                "published_by_publisher": self.published_by_us}


@dataclass
class Task:
    """A task with its accounts' evidence."""

    id: int
    office: str
    title: str
    issuer: str
    due_on: date
    source_url: str | None
    source_file: str | None
    category: str | None
    item_id: int | None
    created_at: datetime
    created_by: str
    source_sha256: str | None = None
    accounts: list[Evidence] = field(default_factory=list)

    @property
    def carried_on_time(self) -> int:
        return sum(1 for e in self.accounts if e.state == CarryState.CARRIED)

    @property
    def rate(self) -> float:
        """转载率 of this task: accounts that carried it on time / accounts required."""
        return self.carried_on_time / len(self.accounts) if self.accounts else 1.0

    @property
    def open(self) -> bool:
        """Some account has not carried it yet."""
        return any(e.state in (CarryState.OPEN, CarryState.MISSED) for e in self.accounts)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "issuer": self.issuer, "due_on": self.due_on.isoformat(),
                "source_url": self.source_url, "source_file": self.source_file, "category": self.category,
                "item_id": self.item_id, "created_at": self.created_at.isoformat(), "created_by": self.created_by,
                "accounts": [e.as_dict() for e in self.accounts], "carried_on_time": self.carried_on_time,
                "required": len(self.accounts), "rate": round(self.rate, 4), "open": self.open}


def known_accounts(app: App) -> list[str]:
    """The names a task may require: the configured channels and ``reposts.other_accounts``."""
    return list(app.config.channels) + [a for a in repost_settings(app.config).other_accounts
                                        if a not in app.config.channels]


def parse_day(text: Any, field_name: str) -> date:
    """A YYYY-MM-DD date (a date object passes); InputError naming the field."""
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text or "").strip()[:10])
    except ValueError:
        raise InputError(_("not a date (YYYY-MM-DD): {value!r}").format(value=text), field=field_name) from None


def parse_task(app: App, fields: dict[str, Any], *, where: str = "") -> TaskInput:
    """Validate one task's fields (title, due_on, accounts, issuer, source_url, source_file, category)."""
    prefix = f"{where}: " if where else ""

    def bad(name: str, message: str) -> InputError:
        error = InputError(prefix + labelled(name, message))
        error.field = name
        return error

    title = str(fields.get("title") or "").strip()
    if not title:
        raise bad("title", _("required"))
    accounts = list(dict.fromkeys(a.strip() for a in fields.get("accounts") or [] if a and a.strip()))
    if not accounts:
        raise bad("channel", _("name at least one account that must carry the task"))
    known = known_accounts(app)
    for name in accounts:
        if name not in known:
            raise bad("channel", _("{name!r} is neither a configured channel nor one of reposts.other_accounts "
                                   "(known: {known})").format(name=name, known=", ".join(known)))
    if len(accounts) > MAX_ACCOUNTS:
        raise bad("channel", _("at most {n} accounts").format(n=MAX_ACCOUNTS))
    source_url = str(fields.get("source_url") or "").strip() or None
    if source_url and web_url_problem(source_url):
        raise bad("source", web_url_problem(source_url))
    source_file = Path(fields["source_file"]) if fields.get("source_file") else None
    if source_file is not None and not source_file.is_file():
        raise bad("document", _("no such file: {path}").format(path=source_file))
    if not source_url and source_file is None:
        raise bad("source", _("give the source URL or the document"))
    category = str(fields.get("category") or "").strip() or None
    if category and category not in app.config.categories:
        raise bad("category", _("unknown category {name!r}").format(name=category))
    try:
        due_on = parse_day(fields.get("due_on"), "due")
    except InputError:
        raise bad("due", _("not a date (YYYY-MM-DD): {value!r}").format(value=fields.get("due_on"))) from None
    return TaskInput(title=title, due_on=due_on, accounts=accounts,
                     issuer=str(fields.get("issuer") or "").strip(), source_url=source_url,
                     source_file=source_file, category=category)


def add_tasks(app: App, actor: Actor, tasks: list[TaskInput]) -> list[int]:
    """Record tasks in one transaction (all or none); returns their ids."""
    rows = [_row(app, actor, t) for t in tasks]
    ids = []
    with app.store.transaction() as conn:
        for task, row in zip(tasks, rows):
            task_id = conn.execute(insert(repost_tasks).values(**row)).inserted_primary_key[0]
            conn.execute(insert(repost_accounts), [{"task_id": task_id, "account": a} for a in task.accounts])
            app.store.event(conn, EventKind.REPOST_TASK_ADDED, actor=actor.name, office=actor.office,
                            task=task_id, title=task.title, accounts=task.accounts, due_on=task.due_on.isoformat())
            ids.append(task_id)
    return ids


def _row(app: App, actor: Actor, task: TaskInput) -> dict[str, Any]:
    row = {"office": actor.office, "title": task.title, "issuer": task.issuer, "due_on": task.due_on,
           "source_url": task.source_url, "category": task.category, "created_at": app.clock.now(),
           "created_by": actor.name}
    if task.source_file is not None:
        sha, _size = digest_file(task.source_file)
        store_file(app.config.attachments_dir, task.source_file, sha)
        row |= {"source_file": task.source_file.name, "source_sha256": sha}
    check_fits(repost_tasks, row)
    for name in task.accounts:
        check_fits(repost_accounts, {"account": name})
    return row


def list_tasks(app: App, office: str, *, open_only: bool = False, year: int | None = None) -> list[Task]:
    """The office's tasks by deadline, each with its accounts' evidence."""
    found = tasks_of(app.store.engine, app.config, office, app.clock.now().astimezone(app.config.tz).date(),
                     year=year)
    return [t for t in found if t.open] if open_only else found


def tasks_of(engine, config, office: str, today: date, *, year: int | None = None) -> list[Task]:
    """:func:`list_tasks` from an engine and a config (the report has no App); empty without the tables."""
    query = select(repost_tasks).where(repost_tasks.c.office == office)
    if year is not None:
        query = query.where(and_(repost_tasks.c.due_on >= date(year, 1, 1), repost_tasks.c.due_on <= date(year, 12, 31)))
    with reading(engine) as conn:
        try:
            rows = [dict(r._mapping) for r in conn.execute(query.order_by(repost_tasks.c.due_on, repost_tasks.c.id))]
        except SQLAlchemyError:  # the empty database `tally` reads when there is none yet
            return []
        return _with_evidence(config, conn, rows, today)


def get_task(app: App, office: str, task_id: int) -> Task:
    """One task of the office (NotFound for another office's)."""
    with reading(app.store.engine) as conn:
        row = conn.execute(select(repost_tasks).where(and_(repost_tasks.c.id == task_id,
                                                           repost_tasks.c.office == office))).first()
        if row is None:
            raise NotFound(_("no repost task {id}").format(id=task_id))
        return _with_evidence(app.config, conn, [dict(row._mapping)], app.clock.now().astimezone(app.config.tz).date())[0]


def _with_evidence(config, conn, rows: list[dict], today: date) -> list[Task]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    manual: dict[int, list] = {}
    for a in conn.execute(select(repost_accounts).where(repost_accounts.c.task_id.in_(ids))
                          .order_by(repost_accounts.c.task_id)):
        manual.setdefault(a.task_id, []).append(a)
    items = [r["item_id"] for r in rows if r["item_id"] is not None]
    published: dict[tuple[int, str], Any] = {}
    if items:
        for d in conn.execute(select(deliveries.c.item_id, deliveries.c.channel, deliveries.c.external_url,
                                     deliveries.c.published_at).where(and_(
                                         deliveries.c.item_id.in_(items), deliveries.c.published_at.is_not(None)))):
            published[(d.item_id, d.channel)] = d
    return [Task(**row, accounts=[_evidence(config, row, a, published.get((row["item_id"], a.account)), today)
                                  for a in manual.get(row["id"], [])])
            for row in rows]


def _evidence(config, task: dict, account, delivery, today: date) -> Evidence:
    ours = account.account in config.channels
    if delivery is not None:
        url, at, by = delivery.external_url, delivery.published_at, "ledger"
    else:
        url, at, by = account.carried_url, account.carried_at, account.recorded_by
    day = at.astimezone(config.tz).date() if at else None
    return Evidence(account.account, carry_state(day, task["due_on"], today), url, at, by, ours)


def record_done(app: App, actor: Actor, task_id: int, account: str, url: str, at: datetime | None = None) -> Task:
    """Record by hand that ``account`` carried the task at ``url`` (default time: now)."""
    task = get_task(app, actor.office, task_id)
    if account not in [e.account for e in task.accounts]:
        raise InputError(_("{name!r} is not one of the task's accounts ({names})").format(
            name=account, names=", ".join(e.account for e in task.accounts)), field="channel")
    problem = web_url_problem(url)
    if problem:
        raise InputError(problem, field="url")
    check_fits(repost_accounts, {"carried_url": url.strip()})
    when = at or app.clock.now()
    with app.store.transaction() as conn:
        conn.execute(update(repost_accounts).where(and_(repost_accounts.c.task_id == task_id,
                                                        repost_accounts.c.account == account))
                     .values(carried_url=url.strip(), carried_at=when, recorded_by=actor.name))
        app.store.event(conn, EventKind.REPOST_CARRIED, actor=actor.name, office=actor.office, channel=None,
                        task=task_id, account=account, url=url.strip())
    return get_task(app, actor.office, task_id)


def link_item(app: App, actor: Actor, task_id: int, item_id: int) -> None:
    """Remember the item that carries the task (once: a second item for one task is refused)."""
    with app.store.transaction() as conn:
        done = conn.execute(update(repost_tasks).where(and_(repost_tasks.c.id == task_id,
                                                            repost_tasks.c.item_id.is_(None)))
                            .values(item_id=item_id)).rowcount
        if not done:
            raise Refused("repost_made", _("task {id} already has its item").format(id=task_id))
        app.store.event(conn, EventKind.REPOST_ITEM_MADE, actor=actor.name, office=actor.office, item_id=item_id,
                        task=task_id)

