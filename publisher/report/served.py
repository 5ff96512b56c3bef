"""The one report every door serves (the CLI, the console's download, the API): the frozen report when the year
has one, else the live report when it passes the blocking checks; otherwise the same RuleRefused everywhere."""

from __future__ import annotations

from typing import Any

from publisher.report import freeze as freezing
from publisher.report.checks import refuse_if_broken


def as_served(store, year: int, live: dict[str, Any]) -> dict[str, Any]:
    """The report as filed when ``year`` is frozen (with a warning when the ledger changed since), else ``live``
    when its blocking checks pass; :class:`~publisher.report.checks.RuleRefused` otherwise."""
    filed = freezing.frozen(store, year)
    if filed is None:
        refuse_if_broken(live["checks"])
        return live
    return as_filed(year, filed, live)


def as_filed(year: int, filed: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """The frozen report as filed, with a warning when the ledger changed since."""
    changes = freezing.diff(filed, live)
    shown = {k: v for k, v in filed.items() if k not in ("frozen_at", "frozen_by")}
    if changes:
        shown["warnings"] = shown["warnings"] + [
            f"本报告已于{filed['frozen_at'][:10]}冻结（按报送时的数字呈现）；此后台账有{len(changes)}处变化，"
            f"见 publisher report --year {year} --diff"]
    shown["frozen_at"] = filed["frozen_at"]
    return shown
