"""An item as a government record (政府信息公开目录): its catalogue fields checked, its 索引号 assigned once, and
the 20-working-day clock of 条例 第二十六条."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from publisher.config.load import Config
from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.foundation.workdays import add_workdays, workdays_between

PUBLISH_WITHIN = 20  # working days from a record's making (or change) to its publication (条例 第二十六条)
WARN_FROM = 15  # the 工作台 warns from this working day on
TEXT_LIMITS = {"doc_no": 100, "issuer": 200, "subject": 100, "genre": 50, "disclosure": 20, "disclosure_reason": 2000,
               "validity_basis": 2000}


class Validity(StrEnum):
    """有效性: whether a record is still in force."""

    VALID = "有效"
    EXPIRED = "失效"
    REPEALED = "废止"


class Disclosure(StrEnum):
    """公开方式."""

    PROACTIVE = "主动公开"
    ON_APPLICATION = "依申请公开"
    WITHHELD = "不予公开"


class InterpretationForm(StrEnum):
    """The forms a 解读 takes."""

    TEXT = "文字"
    GRAPHIC = "图解"
    VIDEO = "视频"
    QA = "问答"


@dataclass(frozen=True)
class CatalogueEntry:
    """The catalogue fields an editor gives for one item (all optional until the office requires them)."""

    doc_no: str | None = None
    written_on: date | None = None
    issuer: str | None = None
    subject: str | None = None
    genre: str | None = None
    disclosure: str = Disclosure.PROACTIVE
    disclosure_reason: str | None = None
    interprets: int | None = None
    interpretation_form: str | None = None

    def columns(self) -> dict[str, Any]:
        """The item columns these fields are stored in."""
        return dict(self.__dict__)


def parse_date(value: Any, field: str) -> date | None:
    """A date given as ``YYYY-MM-DD`` (or a date), None for nothing; InputError naming the field otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)
    except ValueError:
        raise InputError(_("not a date: {value!r} (use YYYY-MM-DD)").format(value=str(value)[:40]),
                         field=field) from None


def _text(raw: dict, name: str) -> str | None:
    value = raw.get(name)
    if value is None or str(value).strip() == "":
        return None
    value = str(value).strip()
    if len(value) > TEXT_LIMITS[name]:
        raise InputError(_("at most {limit} characters").format(limit=TEXT_LIMITS[name]), field=name)
    return value


def _one_of(value: str | None, allowed: list[str], field: str) -> str | None:
    if value is not None and value not in allowed:
        raise InputError(_("{value!r} is not in the office's list ({choices})").format(
            value=value, choices="、".join(allowed[:12]) + ("…" if len(allowed) > 12 else "")), field=field)
    return value


def catalogue_entry(raw: dict, config: Config, category: str, today: date) -> CatalogueEntry:
    """The catalogue fields of ``raw`` (CLI flags, an import row, an API body) checked against the office's lists
    and the fields its configuration requires for ``category``; InputError names the first wrong field."""
    lists = config.catalogue
    written_on = parse_date(raw.get("written_on"), "written_on")
    if written_on and written_on > today:
        raise InputError(_("a record cannot be written in the future ({day})").format(day=written_on),
                         field="written_on")
    disclosure = _one_of(_text(raw, "disclosure") if "disclosure" in raw else None,
                         [d.value for d in Disclosure], "disclosure") or Disclosure.PROACTIVE
    reason = _text(raw, "disclosure_reason")
    if disclosure != Disclosure.PROACTIVE and not reason:
        raise InputError(_("{kind} needs its legal reason").format(kind=disclosure), field="disclosure_reason")
    entry = CatalogueEntry(
        doc_no=_text(raw, "doc_no"), written_on=written_on, issuer=_text(raw, "issuer"),
        subject=_one_of(_text(raw, "subject"), lists.subjects, "subject"),
        genre=_one_of(_text(raw, "genre"), lists.genres, "genre"),
        disclosure=disclosure, disclosure_reason=reason,
        interprets=_interprets(raw), interpretation_form=_form(raw))
    for name in lists.required_for(category):
        if getattr(entry, name) in (None, ""):
            raise InputError(_("required for the category {category}").format(category=category), field=name)
    return entry


def _interprets(raw: dict) -> int | None:
    value = raw.get("interprets")
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        raise InputError(_("give the id of the policy this item interprets"), field="interprets")
    return int(text)


def _form(raw: dict) -> str | None:
    value = raw.get("interpretation_form")
    if value in (None, ""):
        return InterpretationForm.TEXT if raw.get("interprets") not in (None, "") else None
    return _one_of(str(value).strip(), [f.value for f in InterpretationForm], "interpretation_form")


def publication_due(written_on: date) -> date:
    """The last day to publish a record made (or changed) on ``written_on``."""
    return add_workdays(written_on, PUBLISH_WITHIN)


def clock(written_on: date | None, published_on: date | None, today: date) -> dict | None:
    """Where an item stands on its 20-working-day clock: the due date, the working days used, and whether it is
    late (published after the due date, or not yet published past it) or in its warning days."""
    if written_on is None:
        return None
    due = publication_due(written_on)
    used = workdays_between(written_on, published_on or today)
    return {"due": due, "days_used": used, "late": used > PUBLISH_WITHIN,
            "warn": published_on is None and WARN_FROM <= used <= PUBLISH_WITHIN}


def catalogue_json(config: Config, row: dict, today: date) -> dict[str, Any]:
    """The catalogue keys of ``item show --json`` (dates as ``YYYY-MM-DD``); ``issuer`` defaults to the office."""
    first = row.get("first_published_at")
    standing = clock(row.get("written_on"), first.astimezone(config.tz).date() if first else None, today)
    day = lambda value: value.isoformat() if value else None  # noqa: E731
    return {
        "index_no": row.get("index_no"), "doc_no": row.get("doc_no"), "written_on": day(row.get("written_on")),
        "issuer": row.get("issuer") or config.office.name, "subject": row.get("subject"), "genre": row.get("genre"),
        "disclosure": row.get("disclosure") or Disclosure.PROACTIVE.value,
        "disclosure_reason": row.get("disclosure_reason"),
        "validity": row.get("validity") or Validity.VALID.value, "validity_on": day(row.get("validity_on")),
        "validity_basis": row.get("validity_basis"), "superseded_by": row.get("superseded_by"),
        "interprets": row.get("interprets"), "interpretation_form": row.get("interpretation_form"),
        "first_published_at": first,
        "publication_due": day(standing["due"]) if standing else None,
        "publication_late": standing["late"] if standing else None,
    }
