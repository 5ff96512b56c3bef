"""Configuration models of a series (pydantic v2): schedule, data source, templates, late-data policy."""

from __future__ import annotations

import calendar
import codecs
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from publisher.foundation.durations import parse_duration
from publisher.errors import ConfigError
from publisher.series.render import check_template
from publisher.series.schedule import CronError, months_without_the_day, parse_cron
from publisher.foundation.i18n import _
from publisher.foundation.urls import web_url_problem
from publisher.foundation.validation_messages import validation_message

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _check_encoding(value: str | None) -> str | None:
    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(_("unknown encoding {value!r} (e.g. utf-8-sig, gbk, gb18030)").format(
                                 value=value)) from None
    return value


Encoding = Annotated[str, AfterValidator(_check_encoding)]


def _resolve(path: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    path = path.expanduser()
    return path if path.is_absolute() or base is None else Path(base) / path


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date_format: str | None = Field(
        default=None, description="strptime format of the date cells; default: common formats are recognised"
    )


class CsvSource(_Source):
    """A CSV file with a date column (relative paths are relative to the configuration file)."""

    type: Literal["csv"]
    path: Path
    date_column: str = Field(min_length=1)
    encoding: Encoding = "utf-8-sig"
    delimiter: str = Field(default=",", min_length=1, max_length=1)

    @field_validator("path")
    @classmethod
    def _path(cls, value: Path, info: ValidationInfo) -> Path:
        return _resolve(value, info)


class ExcelSource(_Source):
    """An .xlsx workbook: one sheet (default the first), a header row, a date column."""

    type: Literal["excel"]
    path: Path
    sheet: str | None = None
    date_column: str = Field(min_length=1)
    header_row: int = Field(default=1, ge=1, description="row number of the column headings")

    @field_validator("path")
    @classmethod
    def _path(cls, value: Path, info: ValidationInfo) -> Path:
        return _resolve(value, info)


class HttpSource(_Source):
    """An HTTP endpoint returning JSON (a list of objects or ``{"rows": [...]}``) or CSV.

    The day is passed as ``{date}`` in ``url`` and/or as the query parameter ``date_param``, formatted
    with ``request_date_format``; rows are also filtered by ``date_column`` when it is set.
    """

    type: Literal["http"]
    url: str
    format: Literal["json", "csv"] = "json"
    date_param: str | None = None
    date_column: str | None = None
    request_date_format: str = "%Y-%m-%d"
    timeout: float = Field(default=30.0, gt=0, le=600)
    headers: dict[str, str] = Field(default_factory=dict)
    encoding: Encoding | None = Field(default=None, description="CSV only; default: the response's charset, else UTF-8")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"https?://[^/\s]+", value):
            raise ValueError(_("must be an http:// or https:// URL"))
        problem = web_url_problem(value.replace("{date}", "2019-01-01"), credentials=True)
        if problem:
            raise ValueError(problem)
        try:
            value.format(date="2019-01-01")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(_("the only placeholder allowed is {{date}} ({exc})").format(exc=exc)) from None
        return value

    @model_validator(mode="after")
    def _selects_a_day(self) -> "HttpSource":
        if "{date}" not in self.url and not self.date_param and not self.date_column:
            raise ValueError(_("say how to select the day: {date} in url, date_param, or date_column"))
        return self


Source = Annotated[Union[CsvSource, ExcelSource, HttpSource], Field(discriminator="type")]


class SeriesConfig(BaseModel):
    """One recurring publication: when, from which data, with which templates, and what to do when late.

    ``name`` is the key of the block under ``series:`` (set by :func:`load_series`).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    category: str = Field(min_length=1)
    channels: list[str] | None = Field(default=None, description="default: the routing for the category")
    schedule: str = Field(description="5-field cron in the office time zone, e.g. '0 9 * * *'")
    source: Source
    title: str = Field(min_length=1, description="Jinja2 template of the title (plain text)")
    body: str | None = Field(default=None, description="Jinja2 template of the body (HTML, autoescaped)")
    body_file: Path | None = None
    missed: Literal["publish_late", "skip"] = "publish_late"
    on_time: Duration = Field(default=timedelta(minutes=10),
                              description="a firing at most this old when the daemon sees it is on time, never 'missed'")
    catch_up_limit: int = Field(default=31, ge=0, le=10000)
    data_deadline: Duration = Field(default=timedelta(hours=6))
    data_retry: Duration = Field(default=timedelta(minutes=15))
    data_date_offset: int = Field(default=0, ge=-366, le=366, description="days from the occurrence to the data's date")
    rows: Literal["one", "all"] = "all"
    min_rows: int = Field(default=1, ge=1, le=10000,
                          description="rows the day must have before it is published (e.g. one per tested parameter)")
    department: str | None = None
    enabled: bool = True

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        try:
            cron = parse_cron(value)
        except CronError as exc:
            raise ValueError(str(exc)) from None
        gaps = months_without_the_day(cron)
        if gaps:
            names = ", ".join(calendar.month_abbr[m] for m in gaps)
            raise ValueError(
                _("{value!r} publishes nothing in {names} (in some or all years): that day of the month does not "
                  "always exist. Write L for the last day of every month (e.g. '0 9 L * *'), or list only the "
                  "months meant in the month field").format(value=value, names=names))
        return value

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        problem = check_template(value, html=False)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("body")
    @classmethod
    def _body(cls, value: str | None) -> str | None:
        if value is not None:
            problem = check_template(value, html=True)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("body_file")
    @classmethod
    def _body_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        path = _resolve(value, info)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ValueError(_("{path}: no such file").format(path=path)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(_("{path}: cannot read as UTF-8 ({exc})").format(path=path, exc=exc)) from None
        problem = check_template(text, html=True)
        if problem:
            raise ValueError(f"{path}: {problem}")
        return path

    @model_validator(mode="after")
    def _one_body(self) -> "SeriesConfig":
        if (self.body is None) == (self.body_file is None):
            raise ValueError(_("give exactly one of body or body_file"))
        if self.rows == "one" and self.min_rows > 1:
            raise ValueError(_("min_rows {min_rows} needs rows: all (rows: one keeps a single row)").format(
                                 min_rows=self.min_rows))
        return self

    @property
    def body_source(self) -> str:
        """The body template text (from ``body``, or read from ``body_file`` now)."""
        if self.body is not None:
            return self.body
        assert self.body_file is not None
        return self.body_file.read_text(encoding="utf-8-sig")


def _key_path(loc: tuple[Any, ...], block: Mapping[str, Any]) -> str:
    parts = [str(p) for p in loc]
    # pydantic puts the discriminator tag into the location (source.csv.path); the YAML has no such level
    source = block.get("source") if isinstance(block, Mapping) else None
    if len(parts) > 1 and parts[0] == "source" and isinstance(source, Mapping) and parts[1] == source.get("type"):
        del parts[1]
    return ".".join(parts)


def series_problems(exc: ValidationError, block: Mapping[str, Any], prefix: str) -> list[str]:
    """Turn a ValidationError into ``series.NAME.key.path: message`` lines."""
    problems = []
    for error in exc.errors():
        path = _key_path(tuple(error["loc"]), block)
        message = validation_message(error)
        problems.append(_("{field}: {message}").format(field=f"{prefix}.{path}" if path else prefix, message=message))
    return problems


def _validate_all(
    blocks: Mapping[str, Any] | None, base_dir: Path | None, prefix: str
) -> tuple[dict[str, SeriesConfig], list[str]]:
    result: dict[str, SeriesConfig] = {}
    problems: list[str] = []
    for name, block in (blocks or {}).items():
        where = f"{prefix}.{name}"
        if not isinstance(block, Mapping):
            problems.append(_("{where}: must be a mapping").format(where=where))
            continue
        if "name" in block and block["name"] != name:
            problems.append(_("{where}.name: the name is the key ({name!r}); drop this field").format(
                                where=where, name=name))
            continue
        try:
            result[str(name)] = SeriesConfig.model_validate({**block, "name": str(name)}, context={"base_dir": base_dir})
        except ValidationError as exc:
            problems.extend(series_problems(exc, block, where))
    return result, problems


def load_series(
    blocks: Mapping[str, Any] | None, *, base_dir: Path | None = None, prefix: str = "series"
) -> dict[str, SeriesConfig]:
    """Validate the ``series:`` mapping (name -> block); raise ConfigError naming every bad key path."""
    result, problems = _validate_all(blocks, base_dir, prefix)
    if problems:
        raise ConfigError(problems)
    return result


def parse_series_block(
    blocks: Mapping[str, Any],
    categories: list[str],
    channels: Mapping[str, Any],
    problems: list[str],
    *,
    base_dir: Path | None = None,
) -> dict[str, SeriesConfig]:
    """Validate ``series:`` against the configured categories and channels; append problems, return the valid ones.

    ``channels`` maps channel names to their (raw or parsed) blocks; relative source paths and ``body_file``
    are resolved against ``base_dir`` (the configuration file's folder).
    """
    parsed, found = _validate_all(blocks, base_dir, "series")
    problems.extend(found)
    for name, series in parsed.items():
        if series.category not in categories:
            problems.append(_("series.{name}.category: {category!r} is not a configured category").format(
                                name=name, category=series.category))
        for i, channel in enumerate(series.channels or []):
            block = channels.get(channel)
            enabled = block.get("enabled", True) if isinstance(block, Mapping) else getattr(block, "enabled", True)
            if block is None:
                problems.append(_("series.{name}.channels[{i}]: channel {channel!r} is not defined under "
                                  "channels").format(
                                    name=name, i=i, channel=channel))
            elif enabled is False:
                problems.append(_("series.{name}.channels[{i}]: channel {channel!r} is disabled (enabled: "
                                  "false)").format(
                                    name=name, i=i, channel=channel))
    return parsed
