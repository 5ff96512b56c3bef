"""Recurring publications from data: a schedule, a data source and templates produce one item per occurrence.

Pure parts only (no store): :mod:`.models` (config), :mod:`.schedule` (cron in the office time zone),
:mod:`.sources` (rows for a date), :mod:`.render` (title and body); the core records occurrences.
"""

from publisher.series.attempt import Attempt, attempt_occurrence, data_date, deadline_for
from publisher.series.errors import MissingData, RenderError, SeriesError, SourceError, SourceUnavailable
from publisher.series.models import (
    CsvSource, ExcelSource, HttpSource, SeriesConfig, load_series, parse_duration, parse_series_block,
)
from publisher.series.render import render_occurrence
from publisher.series.schedule import (
    CatchUp, CronError, manual_occurrence, months_without_the_day, next_occurrence, occurrence_key,
    occurrences_between, occurrences_on, parse_cron, plan_catch_up, previous_occurrence,
)
from publisher.series.sources import load_rows, parse_date

__all__ = [
    "Attempt", "attempt_occurrence", "data_date", "deadline_for", "parse_series_block", "CatchUp", "CronError", "CsvSource", "ExcelSource", "HttpSource", "MissingData", "RenderError", "SeriesConfig",
    "SeriesError", "SourceError", "SourceUnavailable", "load_rows", "load_series", "manual_occurrence", "months_without_the_day",
    "next_occurrence", "occurrence_key", "occurrences_between", "occurrences_on", "parse_cron", "parse_date",
    "parse_duration", "plan_catch_up", "previous_occurrence", "render_occurrence",
]
