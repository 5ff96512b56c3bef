"""Render an occurrence's title and body from its rows with sandboxed Jinja2, never half-filled."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Iterable, Protocol

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from publisher.series.errors import MissingData, RenderError
from publisher.foundation.i18n import N_


class Templates(Protocol):
    """What rendering reads of a series (a :class:`publisher.series.models.SeriesConfig`)."""

    name: str
    category: str
    title: str

    @property
    def body_source(self) -> str: ...


_WEEKDAYS = "一二三四五六日"


def cn_date(value: date | datetime) -> str:
    """``2019年3月10日``."""
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime) -> str:
    """``2019年3月10日 09:00``."""
    return f"{cn_date(value)} {value:%H:%M}"


def cn_weekday(value: date | datetime) -> str:
    """``星期日``."""
    return "星期" + _WEEKDAYS[value.weekday()]


def num(value: Any, digits: int = 2) -> str:
    """A number with ``digits`` decimals; text (e.g. 未检出) is returned unchanged."""
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


# what a spreadsheet shows (and exports to CSV) for a formula whose inputs are not there yet
SPREADSHEET_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!",
                                "#CALC!", "#GETTING_DATA"})


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Row(dict):
    """A data row whose values must be present when a template uses them.

    Reading a missing column, an empty cell or a spreadsheet error value (``#N/A``, ``#DIV/0!``...) raises
    :class:`MissingData`; ``row.get("col")`` is the escape hatch for columns that may legitimately be empty.
    """

    def __init__(self, data: Mapping[str, Any], label: str = "row"):
        super().__init__(data)
        self._label = label

    def __getitem__(self, key: str) -> Any:
        if not dict.__contains__(self, key):
            raise MissingData(N_("{label} has no column {key!r} (columns: {names})").format(
                                  label=self._label, key=key, names=', '.join(map(str, self))))
        value = dict.__getitem__(self, key)
        if _blank(value):
            raise MissingData(N_("{label}: {key!r} is empty").format(label=self._label, key=key))
        if isinstance(value, str) and value.strip().upper() in SPREADSHEET_ERRORS:
            raise MissingData(N_("{label}: {key!r} is {error} (a spreadsheet error, not a result)").format(
                                  label=self._label, key=key, error=value.strip()))
        return value


def make_environment(*, html: bool) -> SandboxedEnvironment:
    """A sandboxed environment with StrictUndefined and our filters; ``html`` turns on autoescape."""
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=html, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(cn_date=cn_date, cn_datetime=cn_datetime, cn_weekday=cn_weekday, num=num)
    return env


_TEXT_ENV = make_environment(html=False)
_HTML_ENV = make_environment(html=True)


@lru_cache(maxsize=128)
def compile_template(source: str, *, html: bool) -> Template:
    """Compile a title (``html=False``) or body template; raise TemplateSyntaxError with the line."""
    return (_HTML_ENV if html else _TEXT_ENV).from_string(source)


def check_template(source: str, *, html: bool) -> str | None:
    """The syntax problem of a template as one line, or None when it compiles."""
    try:
        compile_template(source, html=html)
    except TemplateSyntaxError as exc:
        return f"template syntax error on line {exc.lineno}: {exc.message}"
    return None


def wrap_rows(rows: Iterable[Mapping[str, Any]], on: date) -> list[Row]:
    """Wrap plain dicts as :class:`Row` so the template refuses empty values."""
    return [Row(r, f"row {i + 1} of {on.isoformat()}") for i, r in enumerate(rows)]


def render_occurrence(
    series: Templates,
    rows: list[Mapping[str, Any]],
    occurrence_local: datetime,
    *,
    data_date: date | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """Render ``(title, body_html)`` for one occurrence.

    Context: ``date`` (the data's local date; the occurrence's date unless ``data_date``), ``datetime``
    (the occurrence, local), ``rows``, ``row`` (the first row), ``series`` (name, category) and ``extra``.
    Raises :class:`MissingData` when there are no rows or a value the templates use is empty, and
    :class:`RenderError` when the template itself is wrong.
    """
    on = data_date or occurrence_local.date()
    if not rows:
        raise MissingData(N_("series {name!r}: no rows for {day}").format(
                              name=series.name, day=on.isoformat()))
    wrapped = wrap_rows(rows, on)
    context: dict[str, Any] = dict(extra or {})
    context.update(
        date=on,
        datetime=occurrence_local,
        rows=wrapped,
        row=wrapped[0],
        series={"name": series.name, "category": series.category},
    )
    title = _render(series.title, context, html=False, what="title", series=series.name)
    title = " ".join(title.split())
    if not title:
        raise MissingData(N_("series {name!r}: the title rendered empty for {day}").format(
                              name=series.name, day=on.isoformat()))
    body = _render(series.body_source, context, html=True, what="body", series=series.name).strip()
    if not body:
        raise MissingData(N_("series {name!r}: the body rendered empty for {day}").format(
                              name=series.name, day=on.isoformat()))
    return title, body


def _render(source: str, context: dict[str, Any], *, html: bool, what: str, series: str) -> str:
    try:
        return compile_template(source, html=html).render(context)
    except MissingData as exc:
        raise MissingData(N_("series {series!r} {what}: {exc}").format(series=series, what=what, exc=exc)) from exc
    except UndefinedError as exc:
        raise RenderError(N_("series {series!r} {what}: {message}").format(
                              series=series, what=what, message=exc.message)) from exc
    except TemplateError as exc:
        raise RenderError(N_("series {series!r} {what}: {exc}").format(series=series, what=what, exc=exc)) from exc
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise RenderError(N_("series {series!r} {what}: {kind}: {exc}").format(
                              series=series, what=what, kind=exc.__class__.__name__, exc=exc)) from exc
