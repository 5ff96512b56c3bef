"""One try at producing an occurrence: load its rows, render it, and say what to record (no store here)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from publisher.series.errors import MissingData, RenderError, SourceError, SourceUnavailable
from publisher.series.models import SeriesConfig
from publisher.series.occurrence_status import OccurrenceStatus
from publisher.series.render import render_occurrence
from publisher.series.sources import load_rows
from publisher.foundation.i18n import N_

if TYPE_CHECKING:  # loaded where a request is made: read-only commands never load it
    import requests

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What one try came to: ready to queue, or the occurrence status to record."""

    READY = "ready"
    WAITING = OccurrenceStatus.WAITING.value
    MISSING_DATA = OccurrenceStatus.MISSING_DATA.value
    FAILED = OccurrenceStatus.FAILED.value


class Problem(StrEnum):
    """Why a try produced nothing."""

    MISSING_DATA = "missing_data"
    SOURCE_UNAVAILABLE = "source_unavailable"
    SOURCE_ERROR = "source_error"
    TEMPLATE_ERROR = "template_error"


@dataclass(frozen=True)
class Attempt:
    """The outcome of one try.

    ``ready``: queue ``title``/``body_html``. ``waiting``: record ``error`` and try again at ``next_try_at``.
    ``missing_data`` / ``failed``: final; record ``error`` visibly (the deadline passed, or the template is wrong).
    """

    status: Outcome
    title: str = ""
    body_html: str = ""
    error: str | None = None
    kind: Problem | None = None
    next_try_at: datetime | None = None
    rows: int = 0


def data_date(series: SeriesConfig, scheduled_at: datetime, tz: tzinfo):
    """The local date whose data an occurrence publishes (its own date plus ``data_date_offset``)."""
    return scheduled_at.astimezone(tz).date() + timedelta(days=series.data_date_offset)


def deadline_for(series: SeriesConfig, scheduled_at: datetime, created_at: datetime) -> datetime:
    """When to stop waiting for data: ``data_deadline`` after the later of the scheduled and creation times,
    so an occurrence created late by a catch-up still gets its full window."""
    return max(scheduled_at, created_at) + series.data_deadline


def attempt_occurrence(
    series: SeriesConfig,
    scheduled_at: datetime,
    tz: tzinfo,
    *,
    now: datetime,
    deadline_at: datetime,
    extra: Mapping[str, Any] | None = None,
    session: requests.Session | None = None,
) -> Attempt:
    """Try to produce the occurrence scheduled at ``scheduled_at`` (aware UTC) now.

    Missing data, an unreachable source and a broken source are retried every ``data_retry`` (never past
    the deadline, with one last try at it); after the deadline they become ``missing_data`` or ``failed``.
    A template error fails at once: retrying cannot fix it.
    """
    local = scheduled_at.astimezone(tz)
    on = data_date(series, scheduled_at, tz)
    try:
        rows = load_rows(series.source, on, mode=series.rows, session=session)
        if len(rows) < series.min_rows:  # e.g. the lab has entered 6 of its 10 parameters so far
            raise MissingData(N_("only {count} of the {min_rows} rows (min_rows) for {day} so far").format(
                                  count=len(rows), min_rows=series.min_rows, day=on.isoformat()))
        title, body = render_occurrence(series, rows, local, data_date=on, extra=extra)
    except RenderError as exc:
        return Attempt(Outcome.FAILED, error=f"template error: {exc}", kind=Problem.TEMPLATE_ERROR)
    except MissingData as exc:
        return _retry_or_give_up(series, now, deadline_at, tz, Problem.MISSING_DATA, f"missing data: {exc}")
    except SourceUnavailable as exc:
        return _retry_or_give_up(series, now, deadline_at, tz, Problem.SOURCE_UNAVAILABLE, f"source unavailable: {exc}")
    except SourceError as exc:
        log.debug("series %s: %s", series.name, exc)  # the runner logs it (once) and records it
        return _retry_or_give_up(series, now, deadline_at, tz, Problem.SOURCE_ERROR, f"source error: {exc}")
    return Attempt(Outcome.READY, title=title, body_html=body, rows=len(rows))


def local_time(when: datetime, tz: tzinfo) -> str:
    """An instant as the office's wall-clock time for messages: ``2019-06-02 15:00 CST``."""
    local = when.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def _retry_or_give_up(series: SeriesConfig, now: datetime, deadline_at: datetime, tz: tzinfo, kind: Problem,
                      error: str) -> Attempt:
    if now >= deadline_at:
        final = Outcome.MISSING_DATA if kind == Problem.MISSING_DATA else Outcome.FAILED
        return Attempt(final, error=f"{error}; gave up at the deadline {local_time(deadline_at, tz)}", kind=kind)
    return Attempt(Outcome.WAITING, error=error, kind=kind, next_try_at=min(now + series.data_retry, deadline_at))
