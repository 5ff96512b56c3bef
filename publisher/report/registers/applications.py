"""The register of disclosure applications (依申请公开): add, import, close, list, and Table 三's counts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from publisher.db.engine import reading
from publisher.errors import InputError, NotFound, Refused
from publisher.report import shapes
from publisher.report.registers.tables import application_pauses, applications
from publisher.foundation.workdays import (RESTART, STOP, UNKNOWN_MARK, answer_due, known_through,
                                          workdays_between)
from publisher.foundation.i18n import _
from publisher.ledger.audit import append
from publisher.ledger.event_kinds import EventKind

RULE_EXTEND = "extend-before-deadline"
#: pause reason → how it stops the clock (publisher.foundation.workdays.answer_due)
PAUSE_KINDS = {"补正": RESTART, "第三方": STOP, "收费": STOP}
FIELDS = ("reference", "received_on", "applicant_type", "subject", "extended", "outcome", "closed_on")


@dataclass(frozen=True)
class Application:
    """One application as the register holds it."""

    id: int | None
    received_on: date
    applicant_type: str
    reference: str = ""
    subject: str = ""
    extended: bool = False
    outcome: str | None = None
    closed_on: date | None = None
    pauses: tuple["Pause", ...] = ()

    @property
    def due_on(self) -> date | None:
        """The last day to answer, in China's working days, the legal pauses left out; None while paused."""
        return answer_due(self.received_on, self.extended, [(PAUSE_KINDS[p.reason], p.from_on, p.to_on)
                                                            for p in self.pauses])

    @property
    def due_known(self) -> bool:
        """False when the deadline crosses a year whose holiday arrangement is unknown (shown marked)."""
        return self.due_on is None or known_through(self.received_on, self.due_on)

    def late(self, today: date) -> bool:
        """Answered after its deadline, or still open past it (never while the clock is paused)."""
        return self.due_on is not None and (self.closed_on or today) > self.due_on

    def as_dict(self, today: date | None = None) -> dict[str, Any]:
        out = {"id": self.id, "reference": self.reference, "received_on": self.received_on.isoformat(),
               "applicant_type": self.applicant_type, "subject": self.subject, "extended": self.extended,
               "outcome": self.outcome, "closed_on": self.closed_on.isoformat() if self.closed_on else None,
               "due_on": self.due_on.isoformat() if self.due_on else None,
               "due_note": None if self.due_known else UNKNOWN_MARK,
               "pauses": [p.as_dict() for p in self.pauses]}
        if today is not None and self.closed_on is None and self.due_on is not None:
            out["working_days_left"] = workdays_between(today, self.due_on)
        return out


@dataclass(frozen=True)
class Pause:
    """A legal pause of the answer clock: 补正 (Art. 30), 第三方 (Art. 32), 收费 (the fee notice until payment)."""

    reason: str
    from_on: date
    to_on: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "from": self.from_on.isoformat(),
                "to": self.to_on.isoformat() if self.to_on else None}


def parse_application(raw: dict[str, Any], where: str = "") -> Application:
    """Validate one application given as text fields; InputError naming the field (and ``where``, e.g. line 3)."""
    prefix = f"{where}: " if where else ""

    def bad(field: str, message: str) -> InputError:
        return InputError(prefix + message, field=field)

    unknown = sorted(set(raw) - set(FIELDS) - {"id", "due_on", "due_note", "pauses"})
    if unknown:
        raise bad(unknown[0], _("unknown field (use {names})").format(names=', '.join(FIELDS)))
    received = _date(raw.get("received_on"), "received_on", bad, required=True)
    kind = str(raw.get("applicant_type") or "").strip()
    if kind not in shapes.APPLICANT_TYPES:
        raise bad("applicant_type", _("{kind!r} is not one of {names}").format(
                                        kind=kind, names='、'.join(shapes.APPLICANT_TYPES)))
    outcome = str(raw.get("outcome") or "").strip() or None
    if outcome is not None:
        try:
            outcome = shapes.parse_outcome(outcome)
        except ValueError:
            raise bad("outcome", _("{outcome!r} is not a row of Table 三 (e.g. 予以公开, 3.4 or 保护第三方合法权益)").format(
                                     outcome=outcome)) from None
    closed = _date(raw.get("closed_on"), "closed_on", bad)
    if (outcome is None) != (closed is None):
        raise bad("closed_on" if closed is None else "outcome", _("an application is closed with both an outcome "
                                                                  "and a date"))
    if closed is not None and closed < received:
        raise bad("closed_on", _("{closed} is before the application was received ({received})").format(
                                   closed=closed, received=received))
    extended = str(raw.get("extended") or "").strip().lower() in ("1", "true", "yes", "是", "y")
    return Application(None, received, kind, str(raw.get("reference") or "").strip(), str(raw.get("subject") or "").strip(),
                       extended, outcome, closed)


def _date(value: Any, field: str, bad, required: bool = False) -> date | None:
    if value in (None, ""):
        if required:
            raise bad(field, _("missing (YYYY-MM-DD)"))
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise bad(field, _("{value!r} is not a date (YYYY-MM-DD)").format(value=value)) from None


class ApplicationRegister:
    """Reads and writes of the applications table."""

    def __init__(self, store, office: str | None = None):
        self.store = store
        self.office = office  # the office the register belongs to (the configured one); None: not checked

    def add(self, application: Application, actor: str = "") -> int:
        """Record one application; returns its id."""
        return self.add_many([application], actor)[0]

    def add_many(self, batch: list[Application], actor: str = "") -> list[int]:
        """Record several applications in one transaction (all or none)."""
        now = self.store.clock.now()
        ids = []
        with self.store.transaction() as conn:
            for a in batch:
                ids.append(conn.execute(applications.insert().values(
                    reference=a.reference, received_on=a.received_on, applicant_type=a.applicant_type,
                    subject=a.subject, extended=int(a.extended), outcome=a.outcome, closed_on=a.closed_on,
                    created_at=now, created_by=actor, office=self.office)).inserted_primary_key[0])
        return ids

    def close(self, app_id: int, outcome: str, closed_on: date) -> Application:
        """Record the answer to an open application."""
        current = self.get(app_id)
        if current.closed_on is not None:
            raise InputError(_("application {app_id} was closed on {closed_on}").format(
                                 app_id=app_id, closed_on=current.closed_on), field="id")
        closed = parse_application({**current.as_dict(), "outcome": outcome, "closed_on": closed_on.isoformat()})
        with self.store.transaction() as conn:
            conn.execute(update(applications).where(applications.c.id == app_id)
                         .values(outcome=closed.outcome, closed_on=closed.closed_on))
        return self.get(app_id)

    def extend(self, app_id: int, today: date) -> Application:
        """Use the one extension of 20 working days, before the deadline has passed (Refused otherwise)."""
        current = self.get(app_id)
        if current.closed_on is not None:
            raise InputError(_("application {app_id} is closed").format(app_id=app_id), field="id")
        if current.extended:
            raise Refused(RULE_EXTEND, _("application {app_id} was extended already (once, Art. 33)").format(
                              app_id=app_id))
        if current.due_on is not None and today > current.due_on:
            raise Refused(RULE_EXTEND, _("application {app_id} was due on {due_on}: an extension must be decided "
                                         "before the deadline (Art. 33)").format(app_id=app_id, due_on=current.due_on))
        with self.store.transaction() as conn:
            conn.execute(update(applications).where(applications.c.id == app_id).values(extended=1))
        return self.get(app_id)

    def get(self, app_id: int) -> Application:
        rows = self._select(applications.c.id == app_id)
        if not rows:
            raise NotFound(_("no application with id {app_id}").format(app_id=app_id))
        return rows[0]

    def all(self) -> list[Application]:
        return self._select(None)

    def _select(self, where) -> list[Application]:
        from publisher.report.registers.keepers import of_office

        query = (select(applications).where(of_office(applications, self.office))
                 .order_by(applications.c.received_on, applications.c.id))
        if where is not None:
            query = query.where(where)
        with reading(self.store.engine) as conn:
            rows = conn.execute(query).all()
            pauses: dict[int, list[Pause]] = defaultdict(list)
            for p in conn.execute(select(application_pauses).order_by(application_pauses.c.from_on,
                                                                      application_pauses.c.id)):
                pauses[p.application_id].append(Pause(p.reason, p.from_on, p.to_on))
        return [Application(r.id, r.received_on, r.applicant_type, r.reference or "", r.subject or "",
                            bool(r.extended), r.outcome, r.closed_on, tuple(pauses.get(r.id, ()))) for r in rows]

    def pause(self, app_id: int, reason: str, from_on: date, to_on: date | None, actor, today: date) -> Application:
        """Stop the clock of an open application for a legal reason; with the same reason and start, ``to_on``
        ends a pause still open. InputError naming the field for an impossible pause; only an editor or an admin
        of the register's office, and never dated after ``today``."""
        from publisher.report.registers.keepers import not_future, require_keeper

        require_keeper(actor, self.office, _("no application with id {app_id}").format(app_id=app_id))
        if reason not in PAUSE_KINDS:
            raise InputError(_("{reason!r} is not one of {names}").format(reason=reason, names="、".join(PAUSE_KINDS)),
                             field="--reason")
        not_future(from_on, today, "--from")
        not_future(to_on, today, "--to")
        current = self.get(app_id)
        if current.closed_on is not None:
            raise InputError(_("application {app_id} is closed").format(app_id=app_id), field="id")
        if from_on < current.received_on or (to_on is not None and to_on < from_on):
            raise InputError(_("a pause runs from the day of receipt or later, and ends after it starts"),
                             field="--from/--to")
        with self.store.transaction() as conn:
            self._write_pause(conn, current, reason, from_on, to_on, actor.name)
            append(conn, [{"at": self.store.clock.now(), "kind": EventKind.APPLICATION_PAUSED, "actor": actor.name,
                           "office": actor.office,
                           "detail": {"application": app_id, "reason": reason, "from": from_on.isoformat(),
                                      "to": to_on.isoformat() if to_on else None}}])
        return self.get(app_id)

    def _write_pause(self, conn, current: Application, reason: str, from_on: date, to_on: date | None,
                     actor: str) -> None:
        """End the open pause (same reason and start, ``to_on`` given) or add a new one; InputError while one
        other pause is open."""
        p = application_pauses
        open_one = next((x for x in current.pauses if x.to_on is None), None)
        if open_one is not None and (open_one.reason, open_one.from_on) == (reason, from_on) and to_on:
            conn.execute(p.update().where(p.c.application_id == current.id, p.c.reason == reason,
                                          p.c.from_on == from_on, p.c.to_on.is_(None)).values(to_on=to_on))
        elif open_one is not None:
            raise InputError(_("application {app_id} is paused already ({reason} from {from_on}): end that "
                               "pause first with --to").format(app_id=current.id, reason=open_one.reason,
                                                               from_on=open_one.from_on), field="--from")
        else:
            conn.execute(p.insert().values(application_id=current.id, reason=reason, from_on=from_on, to_on=to_on,
                                           created_at=self.store.clock.now(), created_by=actor))


def read_applications(path: Path) -> list[Application]:
    """Applications from CSV (UTF-8 or GBK, header row), an .xlsx workbook or JSON Lines; InputError naming the
    line and field."""
    from publisher.report.registers.sheets import read_rows

    return [parse_application(raw, f"line {n}") for n, raw in read_rows(path)]


def table3_counts(register: list[Application], year: int, template: str) -> dict[str, dict[str, list[int]]]:
    """Table 三's cells for ``year``: row code → applicant type → ids of the applications counted there.

    Each row is counted on its own, as an auditor would, so the identity 一 + 二 = 三（七） + 四 is a real check of
    the register (a hand-edited row closed before it was received breaks it) rather than true by construction.
    """
    start, end = date(year, 1, 1), date(year, 12, 31)
    cells: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for a in register:
        closed_in_year = a.closed_on is not None and start <= a.closed_on <= end
        if start <= a.received_on <= end:
            cells[shapes.ROW_NEW][a.applicant_type].append(a.id)
        if a.received_on < start and (a.closed_on is None or a.closed_on >= start):
            cells[shapes.ROW_CARRIED_IN][a.applicant_type].append(a.id)
        if closed_in_year:
            cells[shapes.outcome_row(a.outcome or "", template)][a.applicant_type].append(a.id)
            cells[shapes.ROW_TOTAL][a.applicant_type].append(a.id)
        if a.received_on <= end and (a.closed_on is None or a.closed_on > end):
            cells[shapes.ROW_CARRIED_OUT][a.applicant_type].append(a.id)
    return cells
