"""The demo's register: 58 applications shaped like the reference year, plus sample narrative and data files."""

from __future__ import annotations

import random
import shutil
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

from publisher.report.registers.applications import Application, ApplicationRegister
from publisher.foundation.workdays import add_workdays
from publisher.report.settings import report_settings

# (applicant type, outcome code, count): 58 in all, one still open at year end (结转下年度)
REFERENCE_YEAR = [
    ("自然人", "1", 34), ("自然人", "2", 4), ("自然人", "4.1", 6), ("自然人", "5.2", 2), ("自然人", "3.4", 1),
    ("商业企业", "1", 5), ("商业企业", "4.1", 1), ("法律服务机构", "1", 2), ("法律服务机构", "2", 1),
    ("其他", "1", 1), ("自然人", None, 1),
]


def seed_reference_applications(app, year: int = 2019, *, samples: bool = True) -> list[int]:
    """Record 58 applications received in ``year``, all answered in time but one carried over to next year.

    With ``samples``, also copy the sample narrative and data file next to the config when it has none.
    """
    rng = random.Random(year)
    batch = []
    for kind, outcome, count in REFERENCE_YEAR:
        for _ in range(count):
            if outcome is None:
                received = date(year, 12, 20)
                batch.append(Application(None, received, kind, subject="申请公开保障性住房分配资料"))
                continue
            received = date(year, 1, 2) + timedelta(days=rng.randrange(0, 320))
            answered = add_workdays(received, rng.randint(3, 18))
            batch.append(Application(None, received, kind, subject="申请公开住房和城乡建设相关信息",
                                     outcome=outcome, closed_on=answered))
    batch.sort(key=lambda a: a.received_on)
    if samples:
        _copy_samples(app.config)
    return ApplicationRegister(app.store, app.config.office.code).add_many(batch, "demo")


def _copy_samples(config) -> None:
    settings, base = report_settings(config)
    folder = base / settings.narrative_dir
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("overview.md", "problems.md", "other.md", "data.yaml"):
        target = folder / name
        if not target.exists():
            with resources.as_file(resources.files("publisher.report").joinpath("samples", name)) as source:
                shutil.copyfile(Path(source), target)
