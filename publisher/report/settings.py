"""The config's ``report:`` section: narrative files, the office data file, inspection limits, the 落款."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from publisher.foundation.durations import parse_duration
from publisher.errors import ConfigError
from publisher.foundation.i18n import _

NARRATIVE_KEYS = ("preface", "overview", "problems", "other")
NARRATIVE_DEFAULTS = {"overview": "overview.md", "problems": "problems.md", "other": "other.md"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdleLimits(_Strict):
    """Longest gap between two publications before a website inspection fails the column (国办秘函〔2019〕19号)."""

    channels: dict[str, str] = Field(default_factory=dict)    # channel → e.g. 14d
    categories: dict[str, str] = Field(default_factory=dict)  # category → e.g. 14d (news) or 180d (notices, policy)
    warn_days: int = Field(default=3, ge=0, le=90)  # notify this many days before a limit is reached

    @field_validator("channels", "categories")
    @classmethod
    def _durations(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            try:
                parse_duration(text)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        return value


class ReportSettings(_Strict):
    """Where the office's own parts of the report come from."""

    narrative_dir: str = "report"
    narrative: dict[str, str] = Field(default_factory=dict)  # preface/overview/problems/other → file in narrative_dir
    data_file: str | None = None                              # YAML or CSV with figures publisher cannot know
    table2_categories: dict[str, list[str]] = Field(default_factory=dict)  # Table 二 row → categories counted in it
    signature: str | None = None                              # 落款 (default: office.name)
    date: dt.date | None = None                                  # the report's date (default: today, office time)
    idle: IdleLimits = IdleLimits()
    template: str | None = None                               # force 2019 or 2021 for every year
    queue_category: str = "计划总结"                           # where `report --queue` files the report itself

    @field_validator("narrative")
    @classmethod
    def _known_parts(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(NARRATIVE_KEYS))
        if unknown:
            raise ValueError(_("unknown part(s) {names} (use {known})").format(
                                 names=', '.join(unknown), known=', '.join(NARRATIVE_KEYS)))
        return value

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str | None) -> str | None:
        if value is not None and str(value) not in ("2019", "2021"):
            raise ValueError(_("use 2019 or 2021"))
        return None if value is None else str(value)


def report_settings(config) -> tuple[ReportSettings, Path]:
    """The validated ``report:`` section and the folder relative paths start from; ConfigError by key path."""
    try:
        settings = ReportSettings.model_validate(getattr(config, "report", None) or {})
    except ValidationError as exc:
        problems = [f"report.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(problems, str(config.path)) from None
    return settings, Path(config.path).parent


def narrative_path(settings: ReportSettings, base: Path, part: str) -> Path | None:
    """The file for one narrative part (None for an optional part the config does not name)."""
    name = settings.narrative.get(part, NARRATIVE_DEFAULTS.get(part))
    if name is None:
        return None
    return (base / settings.narrative_dir / name).resolve()


def idle_limit(text: str) -> timedelta:
    """A configured idle limit as a timedelta."""
    return parse_duration(text)
