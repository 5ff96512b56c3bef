"""Sample tap-water quality results (GB 5749-2022 limits) for any date, as CSV, Excel or an HTTP emulator.

The values are deterministic per (plant, date), so the demo, the tests and the default configuration's
water-quality series always show the same table for the same day.

Limits are those of GB 5749-2022《生活饮用水卫生标准》for water leaving the plant (出厂水): Table 1 (水质常规指标)
and Table 2 (出厂水中消毒剂, 游离氯). Units follow the standard: 浑浊度 in NTU (散射浑浊度单位), 色度 in
铂钴色度单位 (度), 菌落总数 in CFU/mL (the standard allows MPN/mL or CFU/mL), 总大肠菌群 and 大肠埃希氏菌 in
MPN/100mL (or CFU/100mL), 游离氯 and 耗氧量 in mg/L, pH without unit. Note that GB 5749-2022 took effect on
2023-04-01; results dated earlier (e.g. the 2019 demo year) would have been judged by GB 5749-2006, whose
limits for these items are the same except 游离氯 (出厂水 at most 4 mg/L instead of 2) and the wording (不得检出);
the sample values (游离氯 0.45-0.95 mg/L) meet both.
"""

from __future__ import annotations

import csv
import random
import textwrap
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Literal

from publisher.sandbox.registry import SandboxEmulator
from publisher.sandbox.server import Emulator, Request, Response, json_response

PLANT = "城北水厂"
SAMPLE_POINT = "出厂水"
COLUMNS = ["日期", "水厂", "水样", "检测项目", "单位", "标准限值", "检测值", "是否达标"]


@dataclass(frozen=True)
class Parameter:
    """One tested parameter: its GB 5749-2022 limit and how sample values are drawn."""

    name: str
    unit: str
    limit: str
    kind: Literal["max", "range", "absent", "text"]
    low: float | None = None
    high: float | None = None
    expected: str = ""
    sample: tuple[float, float] = (0.0, 0.0)
    decimals: int = 2


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("浑浊度", "NTU", "≤1", "max", high=1, sample=(0.08, 0.45), decimals=2),
    Parameter("色度", "度", "≤15", "max", high=15, sample=(2, 5), decimals=0),
    Parameter("臭和味", "—", "无异臭、异味", "text", expected="无异臭、异味"),
    Parameter("肉眼可见物", "—", "无", "text", expected="无"),
    Parameter("pH", "无量纲", "6.5～8.5", "range", low=6.5, high=8.5, sample=(6.9, 7.8), decimals=2),
    Parameter("游离氯", "mg/L", "≥0.3且≤2", "range", low=0.3, high=2, sample=(0.45, 0.95), decimals=2),
    Parameter("耗氧量（COD_Mn法，以O2计）", "mg/L", "≤3", "max", high=3, sample=(0.8, 2.2), decimals=2),
    Parameter("菌落总数", "CFU/mL", "≤100", "max", high=100, sample=(0, 12), decimals=0),
    Parameter("总大肠菌群", "MPN/100mL", "不应检出", "absent"),
    Parameter("大肠埃希氏菌", "MPN/100mL", "不应检出", "absent"),
)


def meets_standard(parameter: Parameter, value: Any) -> bool:
    """Whether a measured value meets the parameter's limit (``<5`` counts as below 5)."""
    text = str(value).strip()
    if parameter.kind == "absent":
        return text in ("未检出", "0", "<1", "＜1")
    if parameter.kind == "text":
        return text == parameter.expected
    try:
        number = float(text.lstrip("<＜≤"))
    except ValueError:
        return False
    if parameter.low is not None and number < parameter.low:
        return False
    return parameter.high is None or number <= parameter.high


def _value(parameter: Parameter, rng: random.Random) -> str:
    if parameter.kind == "absent":
        return "未检出"
    if parameter.kind == "text":
        return parameter.expected
    low, high = parameter.sample
    if parameter.decimals == 0:
        return str(rng.randint(int(low), int(high)))
    return f"{rng.uniform(low, high):.{parameter.decimals}f}"


def sample_rows(day: date, *, plant: str = PLANT, pending: Iterable[str] = ()) -> list[dict[str, str]]:
    """The day's results, one row per parameter (columns :data:`COLUMNS`; 日期 as YYYY-MM-DD).

    Parameters named in ``pending`` have an empty 检测值 and 是否达标 (e.g. 菌落总数 still incubating),
    to show that a half-filled result is never published.
    """
    rng = random.Random(f"waterquality:{plant}:{day.isoformat()}")
    pending = set(pending)
    rows = []
    for parameter in PARAMETERS:
        value = _value(parameter, rng)
        done = parameter.name not in pending
        rows.append({
            "日期": day.isoformat(),
            "水厂": plant,
            "水样": SAMPLE_POINT,
            "检测项目": parameter.name,
            "单位": parameter.unit,
            "标准限值": parameter.limit,
            "检测值": value if done else "",
            "是否达标": ("是" if meets_standard(parameter, value) else "否") if done else "",
        })
    return rows


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def write_sample_csv(path: str | Path, start: date, end: date, *, encoding: str = "utf-8-sig",
                     plant: str = PLANT) -> Path:
    """Write the results of every day from ``start`` to ``end`` (inclusive) as CSV; returns the path."""
    path = Path(path)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for day in _days(start, end):
            writer.writerows(sample_rows(day, plant=plant))
    return path


def write_sample_xlsx(path: str | Path, start: date, end: date, *, plant: str = PLANT,
                      sheet: str = "出厂水检测") -> Path:
    """Write the same results as an .xlsx workbook, 日期 as real date cells; returns the path."""
    from openpyxl import Workbook

    path = Path(path)
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(COLUMNS)
    for day in _days(start, end):
        for row in sample_rows(day, plant=plant):
            values: list[Any] = [row[c] for c in COLUMNS]
            values[0] = datetime(day.year, day.month, day.day)
            worksheet.append(values)
    workbook.save(path)
    return path


DateLimit = date | Callable[[], date | None] | None


class WaterQualityEmulator(Emulator):
    """A water plant's results API: ``GET /water-quality?date=YYYY-MM-DD`` (JSON) and
    ``GET /water-quality.csv?date=YYYY-MM-DD[&encoding=gbk]``.

    ``available_until`` (a date, or a callable returning one, e.g. from a simulated clock) is the last date
    with results; later dates answer 404 (``missing="404"``) or an empty list (``missing="empty"``).
    ``pending`` maps a date to parameters whose values are not in yet. ``served`` counts answers per date.
    """

    name = "waterquality"

    def __init__(
        self,
        available_until: DateLimit = None,
        *,
        missing: Literal["404", "empty"] = "404",
        plant: str = PLANT,
        pending: dict[date, Iterable[str]] | None = None,
    ):
        super().__init__()
        self.available_until = available_until
        self.missing = missing
        self.plant = plant
        self.pending = dict(pending or {})
        self.served: dict[str, int] = {}
        self._served_lock = threading.Lock()
        self.route("GET", "/water-quality", self._json)
        self.route("GET", "/water-quality.csv", self._csv)
        self.route("GET", "/", self._index)

    def is_available(self, day: date) -> bool:
        """Whether results for ``day`` are published yet."""
        limit = self.available_until() if callable(self.available_until) else self.available_until
        return limit is None or day <= limit

    def _day(self, request: Request) -> date | Response:
        text = request.arg("date")
        if not text:
            return json_response({"error": "date=YYYY-MM-DD is required"}, 400)
        try:
            return date.fromisoformat(text)
        except ValueError:
            return json_response({"error": f"bad date {text!r}; use YYYY-MM-DD"}, 400)

    def _rows(self, day: date) -> list[dict[str, str]] | None:
        if not self.is_available(day):
            return None
        with self._served_lock:
            self.served[day.isoformat()] = self.served.get(day.isoformat(), 0) + 1
        return sample_rows(day, plant=self.plant, pending=self.pending.get(day, ()))

    def _json(self, request: Request) -> Response:
        day = self._day(request)
        if isinstance(day, Response):
            return day
        rows = self._rows(day)
        if rows is None and self.missing == "404":
            return json_response({"error": f"no results for {day.isoformat()} yet"}, 404)
        return json_response({"date": day.isoformat(), "plant": self.plant, "rows": rows or []})

    def _csv(self, request: Request) -> Response:
        day = self._day(request)
        if isinstance(day, Response):
            return day
        encoding = request.arg("encoding", "utf-8")
        rows = self._rows(day)
        if rows is None and self.missing == "404":
            return json_response({"error": f"no results for {day.isoformat()} yet"}, 404)
        lines = [",".join(COLUMNS)] + [",".join(r[c] for c in COLUMNS) for r in rows or []]
        body = ("\r\n".join(lines) + "\r\n").encode(encoding)
        return Response(200, body, {"Content-Type": f"text/csv; charset={encoding}"})

    def _index(self, request: Request) -> Response:
        return json_response({
            "plant": self.plant,
            "endpoints": ["/water-quality?date=YYYY-MM-DD", "/water-quality.csv?date=YYYY-MM-DD[&encoding=gbk]"],
        })


WATER_QUALITY_TITLE = "{{ date|cn_date }}水质检测结果公示"

WATER_QUALITY_BODY = """\
<p>{{ date|cn_date }}，{{ row.水厂 }}{{ row.水样 }}水质检测结果如下：</p>
<table>
<thead><tr><th>检测项目</th><th>单位</th><th>标准限值</th><th>检测值</th><th>是否达标</th></tr></thead>
<tbody>
{% for r in rows %}
<tr><td>{{ r.检测项目 }}</td><td>{{ r.单位 }}</td><td>{{ r.标准限值 }}</td><td>{{ r.检测值 }}</td><td>{{ r.是否达标 }}</td></tr>
{% endfor %}
</tbody>
</table>
{% set failed = rows|rejectattr("是否达标", "equalto", "是")|list %}
{% if failed %}
<p>结论：所检{{ rows|length }}项指标中，{{ failed|map(attribute="检测项目")|join("、") }}未达到《生活饮用水卫生标准》（GB 5749-2022）限值要求，已按规定处置并加密检测。</p>
{% else %}
<p>结论：所检{{ rows|length }}项指标均符合《生活饮用水卫生标准》（GB 5749-2022）要求。</p>
{% endif %}
"""


def example_series_yaml(url: str = "http://127.0.0.1:8705/water-quality", name: str = "water_quality") -> str:
    """A ``series:`` YAML block for the sample source, ready for the default configuration."""
    body = textwrap.indent(WATER_QUALITY_BODY, " " * 6)
    return (
        "series:\n"
        f"  {name}:\n"
        "    category: 水质检测\n"
        '    schedule: "0 9 * * *"          # every day at 09:00, office time zone\n'
        "    source:\n"
        "      type: http\n"
        f"      url: {url}\n"
        "      format: json\n"
        "      date_param: date              # GET ...?date=2019-03-10\n"
        "      date_column: 日期\n"
        "      timeout: 10\n"
        f'    title: "{WATER_QUALITY_TITLE}"\n'
        "    body: |\n"
        f"{body}"
        f"    min_rows: {len(PARAMETERS)}                    # one row per tested parameter: never a partial table\n"
        "    missed: publish_late            # or skip (recorded, never silently dropped)\n"
        "    catch_up_limit: 31\n"
        "    data_deadline: 6h               # wait for the day's data until 15:00, then fail visibly\n"
        "    data_retry: 15m\n"
    )


SANDBOX = SandboxEmulator("water-quality", 8705, lambda clock: WaterQualityEmulator(), label="water-quality data")
