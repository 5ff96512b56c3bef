"""The register of appeals about disclosure (行政复议, 行政诉讼) and Table 四's counts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from publisher.db.engine import reading
from publisher.errors import InputError, NotFound, Refused
from publisher.report import shapes
from publisher.report.registers.tables import appeals
from publisher.foundation.i18n import _

FIELDS = ("reference", "kind", "filed_on", "result", "decided_on")
PENDING = shapes.APPEAL_RESULTS[-1]  # 尚未审结
RESULT_WORDS = {"维持": "结果维持", "纠正": "结果纠正", "其他": "其他结果"}  # `appeals decide --result`
RULE_DECIDED_ONCE = "decided-once"


@dataclass(frozen=True)
class Appeal:
    """One review or lawsuit."""

    id: int | None
    kind: str
    filed_on: date
    result: str | None = None
    decided_on: date | None = None
    reference: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "reference": self.reference, "kind": self.kind, "filed_on": self.filed_on.isoformat(),
                "result": self.result, "decided_on": self.decided_on.isoformat() if self.decided_on else None}


def parse_appeal(raw: dict[str, Any], where: str = "") -> Appeal:
    """Validate one appeal given as text fields; InputError naming the field."""
    prefix = f"{where}: " if where else ""
    unknown = sorted(set(raw) - set(FIELDS) - {"id"})
    if unknown:
        raise InputError(prefix + _("unknown field (use {names})").format(names=', '.join(FIELDS)), field=unknown[0])
    kind = str(raw.get("kind") or "").strip()
    if kind not in shapes.APPEAL_KINDS:
        raise InputError(prefix + _("{kind!r} is not one of {names}").format(
                                      kind=kind, names='、'.join(shapes.APPEAL_KINDS)), field="kind")
    dates = {}
    for field in ("filed_on", "decided_on"):
        value = str(raw.get(field) or "").strip()
        try:
            dates[field] = date.fromisoformat(value) if value else None
        except ValueError:
            raise InputError(prefix + _("{value!r} is not a date (YYYY-MM-DD)").format(
                                          value=value), field=field) from None
    if dates["filed_on"] is None:
        raise InputError(prefix + _("missing (YYYY-MM-DD)"), field="filed_on")
    result = str(raw.get("result") or "").strip() or None
    if result == PENDING:
        result = None
    if result is not None and result not in shapes.APPEAL_RESULTS[:-1]:
        raise InputError(prefix + _("{result!r} is not one of {names}").format(
                                      result=result, names='、'.join(shapes.APPEAL_RESULTS)), field="result")
    if (result is None) != (dates["decided_on"] is None):
        raise InputError(prefix + _("a decided appeal has both a result and a date"), field="decided_on")
    if dates["decided_on"] and dates["decided_on"] < dates["filed_on"]:
        raise InputError(prefix + _("decided before it was filed"), field="decided_on")
    return Appeal(None, kind, dates["filed_on"], result, dates["decided_on"], str(raw.get("reference") or "").strip())


class AppealRegister:
    """Reads and writes of the appeals table."""

    def __init__(self, store, office: str | None = None):
        self.store = store
        self.office = office  # the office the register belongs to (the configured one); None: not checked

    def add_many(self, batch: list[Appeal]) -> list[int]:
        now = self.store.clock.now()
        with self.store.transaction() as conn:
            return [conn.execute(appeals.insert().values(kind=a.kind, filed_on=a.filed_on, result=a.result,
                                                         decided_on=a.decided_on, reference=a.reference,
                                                         created_at=now, office=self.office)).inserted_primary_key[0]
                    for a in batch]

    def decide(self, appeal_id: int, result: str, decided_on: date, actor, today: date) -> Appeal:
        """Record the result of a pending appeal, once (a decided one is Refused, so it is never counted twice),
        by an editor or an admin of the register's office, dated no later than ``today``."""
        from publisher.ledger.audit import append
        from publisher.ledger.event_kinds import EventKind
        from publisher.report.registers.keepers import not_future, require_keeper

        require_keeper(actor, self.office, _("no appeal with id {id}").format(id=appeal_id))
        if result not in RESULT_WORDS and result not in RESULT_WORDS.values():
            raise InputError(_("{result!r} is not one of {names}").format(result=result, names="、".join(RESULT_WORDS)),
                             field="--result")
        not_future(decided_on, today, "--on")
        current = self.get(appeal_id)
        if current.result is not None:
            raise Refused(RULE_DECIDED_ONCE, _("appeal {id} was decided on {decided_on} ({result}); an appeal is "
                                               "decided once").format(id=appeal_id, decided_on=current.decided_on,
                                                                      result=current.result))
        decided = parse_appeal({**current.as_dict(), "id": None, "result": RESULT_WORDS.get(result, result),
                                "decided_on": decided_on.isoformat()})
        with self.store.transaction() as conn:
            changed = conn.execute(appeals.update().where(appeals.c.id == appeal_id, appeals.c.result.is_(None))
                                   .values(result=decided.result, decided_on=decided.decided_on)).rowcount
            if changed != 1:  # decided meanwhile by someone else: still once
                raise Refused(RULE_DECIDED_ONCE, _("appeal {id} was decided meanwhile; an appeal is decided once")
                              .format(id=appeal_id))
            append(conn, [{"at": self.store.clock.now(), "kind": EventKind.APPEAL_DECIDED, "actor": actor.name,
                           "office": actor.office,
                           "detail": {"appeal": appeal_id, "result": decided.result,
                                      "decided_on": decided_on.isoformat()}}])
        return self.get(appeal_id)

    def get(self, appeal_id: int) -> Appeal:
        """One appeal; NotFound naming the id."""
        for a in self.all():
            if a.id == appeal_id:
                return a
        raise NotFound(_("no appeal with id {id}").format(id=appeal_id))

    def all(self) -> list[Appeal]:
        from publisher.report.registers.keepers import of_office

        query = select(appeals).where(of_office(appeals, self.office)).order_by(appeals.c.filed_on, appeals.c.id)
        with reading(self.store.engine) as conn:
            return [Appeal(r.id, r.kind, r.filed_on, r.result, r.decided_on, r.reference or "")
                    for r in conn.execute(query)]


def read_appeals(path: Path) -> list[Appeal]:
    """Appeals from CSV (UTF-8 or GBK), an .xlsx workbook or JSON Lines; InputError naming the line and field."""
    from publisher.report.registers.sheets import read_rows

    return [parse_appeal(dict(raw), f"line {n}") for n, raw in read_rows(path)]


def table4_counts(register: list[Appeal], year: int) -> dict[str, dict[str, list[int]]]:
    """Table 四 for ``year``: kind → result → ids. A case counts in the year it was decided, or as 尚未审结."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    cells: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for a in register:
        if a.filed_on > end or (a.decided_on is not None and a.decided_on < start):
            continue
        decided = a.decided_on is not None and a.decided_on <= end
        cells[a.kind][a.result if decided else PENDING].append(a.id)
        cells[a.kind]["总计"].append(a.id)
    return cells
