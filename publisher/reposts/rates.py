"""转载率: per account and quarter (by the task's deadline), the tasks carried on time over the tasks required."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from publisher.reposts.carry_state import CarryState
from publisher.reposts.tasks import Task, tasks_of

TOTAL = ""  # the account name of a quarter's total row


@dataclass
class Rate:
    """One account in one quarter (account ``""``: every account together)."""

    account: str
    quarter: int
    required: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    missed: list[int] = field(default_factory=list)  # task ids not carried (open or missed)

    @property
    def rate(self) -> float | None:
        return self.on_time / self.required if self.required else None

    def as_dict(self, label: str) -> dict[str, Any]:
        return {"account": self.account or None, "display_name": label, "quarter": self.quarter,
                "required": self.required, "on_time": self.on_time, "late": self.late, "open": self.open,
                "rate": None if self.rate is None else round(self.rate, 4), "not_carried": self.missed}


def rates(tasks: list[Task]) -> list[Rate]:
    """Per account and quarter, then each quarter's total, in quarter then account order."""
    table: dict[tuple[int, str], Rate] = {}
    for task in tasks:
        quarter = (task.due_on.month - 1) // 3 + 1
        for e in task.accounts:
            for key in ((quarter, e.account), (quarter, TOTAL)):
                r = table.setdefault(key, Rate(key[1], quarter))
                r.required += 1
                r.on_time += e.state == CarryState.CARRIED
                r.late += e.state == CarryState.LATE
                if e.state in (CarryState.OPEN, CarryState.MISSED):
                    r.open += 1
                    r.missed.append(task.id)
    return [table[k] for k in sorted(table, key=lambda k: (k[0], k[1] == TOTAL, k[1]))]


def year_rates(engine, config, office: str, year: int, today: date) -> list[dict[str, Any]]:
    """The 转载率 of the office's tasks due in ``year``, as JSON rows (display names from the config)."""
    labels = {name: s.display_name or name for name, s in config.channels.items()}
    return [r.as_dict(labels.get(r.account, r.account) if r.account else "合计")
            for r in rates(tasks_of(engine, config, office, today, year=year))]


def percent(rate: float | None) -> str:
    """A rate as the report writes it: 67%, or — when nothing was required."""
    return "—" if rate is None else f"{rate * 100:.0f}%"


def open_tasks(app, office: str) -> list[dict[str, Any]]:
    """The 工作台's open tasks by deadline, each with the accounts that have not carried it yet."""
    from publisher.reposts.tasks import list_tasks

    out = []
    for t in list_tasks(app, office, open_only=True):
        missing = [e for e in t.accounts if e.state in (CarryState.OPEN, CarryState.MISSED)]
        out.append({"id": t.id, "title": t.title, "due_on": t.due_on, "rate": percent(t.rate), "missing": missing,
                    "overdue": any(e.state == CarryState.MISSED for e in missing)})
    return out
