"""Read an occurrence's rows from its data source (CSV, Excel, HTTP JSON/CSV), selected by date.

Errors tell the caller what to do: :class:`MissingData` (not there yet: retry until the deadline),
:class:`SourceUnavailable` (transient: retry), :class:`SourceError` (broken: show an operator).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit

from publisher.http import new_session
from publisher.series.errors import MissingData, SourceError, SourceUnavailable
from publisher.series.models import CsvSource, ExcelSource, HttpSource
from publisher.foundation.i18n import N_, _

if TYPE_CHECKING:  # loaded where a request is made: read-only commands never load it
    import requests

log = logging.getLogger(__name__)

_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?:\s*日)?(?:$|[\sT]\S*.*$)")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: Any, date_format: str | None = None) -> date | None:
    """A date from a cell: date/datetime objects, or text such as 2019-03-10, 2019/3/10, 2019年3月10日,
    20190310, ``2019-03-10 09:00`` (the time is ignored). With ``date_format`` text must match it exactly.
    Returns None when the value is not a date.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 10_000_000 <= value <= 99_991_231:
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if date_format:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            return None
    match = _YMD.fullmatch(text) or _COMPACT.fullmatch(text)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def load_rows(
    source: CsvSource | ExcelSource | HttpSource,
    on_date: date,
    *,
    mode: Literal["one", "all"] = "all",
    session: requests.Session | None = None,
) -> list[dict[str, Any]]:
    """The rows of ``on_date`` (the occurrence's local data date) from ``source``; never empty.

    ``mode="one"`` keeps only the first matching row. Raises MissingData, SourceUnavailable or SourceError.
    """
    if isinstance(source, CsvSource):
        rows = load_csv(source, on_date)
    elif isinstance(source, ExcelSource):
        rows = load_excel(source, on_date)
    elif isinstance(source, HttpSource):
        rows = load_http(source, on_date, session=session)
    else:  # pragma: no cover - the config model admits nothing else
        raise SourceError(_("unknown source type {kind}").format(kind=type(source).__name__))
    return rows[:1] if mode == "one" else rows


def select_rows(
    rows: Iterable[Mapping[str, Any]],
    columns: list[str],
    date_column: str,
    on_date: date,
    *,
    date_format: str | None,
    where: str,
) -> list[dict[str, Any]]:
    """Keep the rows whose ``date_column`` is ``on_date``; MissingData when there are none."""
    if date_column not in columns:
        hint = ""
        if any(not c.isascii() for c in columns) and date_column not in columns:
            hint = " - if the headings look garbled, check source.encoding"
        raise SourceError(_("{where}: no column {date_column!r} (columns: {value}){hint}").format(
                              where=where, date_column=date_column, value=', '.join(columns) or 'none', hint=hint))
    selected: list[dict[str, Any]] = []
    bad: list[Any] = []
    for row in rows:
        cell = row.get(date_column)
        day = parse_date(cell, date_format)
        if day is None:
            if cell not in (None, ""):
                bad.append(cell)
            continue
        if day == on_date:
            selected.append(dict(row))
    if not selected:
        note = ""
        if bad:
            fmt = f"date_format {date_format!r}" if date_format else "any known date format"
            note = f" ({len(bad)} rows have a {date_column!r} that does not match {fmt}, e.g. {bad[0]!r})"
            log.warning("%s: %d unparseable dates in column %r, e.g. %r", where, len(bad), date_column, bad[0])
        raise MissingData(N_("{where}: no rows for {day} yet{note}").format(
                              where=where, day=on_date.isoformat(), note=note))
    return selected


# --- CSV -----------------------------------------------------------------------------------------------

def decode_text(data: bytes, encoding: str, where: str) -> str:
    """Decode bytes strictly; SourceError naming the line and suggesting an encoding when it fails."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        other = "gb18030" if encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8") else "utf-8-sig"
        raise SourceError(
            _("{where}: line {line} is not valid {encoding} (byte 0x{byte:02x}); set source.encoding to the file's "
              "encoding (e.g. {other})").format(
                where=where, line=line, encoding=encoding, byte=data[exc.start], other=other)
        ) from None
    except LookupError:
        raise SourceError(_("{where}: unknown encoding {encoding!r}").format(
                              where=where, encoding=encoding)) from None


def parse_csv(text: str, where: str, delimiter: str = ",") -> tuple[list[str], list[dict[str, Any]]]:
    """Column names and rows (values stripped; blank lines dropped) of CSV text."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise SourceError(_("{where}: the file is empty (no heading row)").format(where=where))
        columns = [h.strip() for h in header]
        rows = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            rows.append({c: v.strip() for c, v in zip(columns, values) if c})
    except csv.Error as exc:
        raise SourceError(_("{where}: line {line_num}: {exc}").format(
                              where=where, line_num=reader.line_num, exc=exc)) from None
    return [c for c in columns if c], rows


def load_csv(source: CsvSource, on_date: date) -> list[dict[str, Any]]:
    """The rows of ``on_date`` from a CSV file."""
    where = str(source.path)
    try:
        data = Path(source.path).read_bytes()
    except FileNotFoundError:
        raise SourceError(_("{where}: no such file").format(where=where)) from None
    except OSError as exc:
        raise SourceError(_("{where}: cannot read ({value})").format(
                              where=where, value=exc.strerror or exc)) from None
    columns, rows = parse_csv(decode_text(data, source.encoding, where), where, source.delimiter)
    return select_rows(rows, columns, source.date_column, on_date, date_format=source.date_format, where=where)


# --- Excel ---------------------------------------------------------------------------------------------

def _excel_cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    return value


def _excel_date(value: Any) -> Any:
    # a date typed into a cell without a date format arrives as its serial number
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20_000 <= value <= 80_000:
        return _EXCEL_EPOCH + timedelta(days=int(value))
    return value


def load_excel(source: ExcelSource, on_date: date) -> list[dict[str, Any]]:
    """The rows of ``on_date`` from an .xlsx workbook (read-only; cached formula values)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    where = str(source.path)
    try:
        workbook = load_workbook(source.path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise SourceError(_("{where}: no such file").format(where=where)) from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SourceError(_("{where}: not a readable .xlsx workbook ({exc})").format(where=where, exc=exc)) from None
    try:
        if source.sheet is None:
            sheet = workbook.worksheets[0]
        elif source.sheet in workbook.sheetnames:
            sheet = workbook[source.sheet]
        else:
            raise SourceError(_("{where}: no sheet {sheet!r} (sheets: {names})").format(
                                  where=where, sheet=source.sheet, names=', '.join(workbook.sheetnames)))
        where = f"{where} [{sheet.title}]"
        lines = sheet.iter_rows(min_row=source.header_row, values_only=True)
        header = next(lines, None)
        if header is None:
            raise SourceError(_("{where}: no heading row at row {header_row}").format(
                                  where=where, header_row=source.header_row))
        columns = [str(h).strip() if h is not None else "" for h in header]
        rows = []
        for values in lines:
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            row = {c: _excel_cell(v) for c, v in zip(columns, values) if c}
            if source.date_column in row:
                row[source.date_column] = _excel_date(row[source.date_column])
            rows.append(row)
    finally:
        workbook.close()
    return select_rows(rows, [c for c in columns if c], source.date_column, on_date,
                       date_format=source.date_format, where=where)


# --- HTTP ----------------------------------------------------------------------------------------------

def _public(url: str) -> str:
    """The URL without its query string or ``user:password@`` (either may hold a secret)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


def describe_source(source: CsvSource | ExcelSource | HttpSource) -> str:
    """The source for log lines: the file, or the URL without query or credentials."""
    if isinstance(source, HttpSource):
        return _public(source.url)
    return str(source.path)


def _charset(content_type: str | None) -> str | None:
    match = re.search(r"charset=\"?([\w.-]+)", content_type or "", re.I)
    return match.group(1) if match else None


def load_http(source: HttpSource, on_date: date, *, session: requests.Session | None = None) -> list[dict[str, Any]]:
    """The rows of ``on_date`` from an HTTP endpoint (JSON or CSV)."""
    import requests

    day = on_date.strftime(source.request_date_format)
    url = source.url.replace("{date}", quote(day, safe=""))
    params = {source.date_param: day} if source.date_param else None
    where = _public(url)
    own = session is None
    session = session or new_session()
    try:
        response = session.get(url, params=params, headers=source.headers, timeout=source.timeout)
    except requests.Timeout:
        raise SourceUnavailable(N_("{where}: no answer within {timeout:g}s").format(
                                    where=where, timeout=source.timeout)) from None
    except requests.ConnectionError as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else exc.__class__.__name__
        raise SourceUnavailable(N_("{where}: cannot connect ({reason})").format(where=where, reason=reason)) from None
    except requests.RequestException as exc:
        raise SourceError(f"{where}: {exc.__class__.__name__}") from None
    finally:
        if own:
            session.close()
    status = response.status_code
    if status in (404, 204):
        raise MissingData(N_("{where}: no data for {day} yet (HTTP {status})").format(
                              where=where, day=on_date.isoformat(), status=status))
    if status == 429 or status >= 500:
        raise SourceUnavailable(N_("{where}: HTTP {status}").format(where=where, status=status))
    if status >= 400:
        hint = " (check the source's headers/credentials)" if status in (401, 403) else ""
        raise SourceError(_("{where}: HTTP {status}{hint}").format(where=where, status=status, hint=hint))

    if source.format == "json":
        columns, rows = _json_rows(response.content, where)
    else:
        encoding = source.encoding or _charset(response.headers.get("Content-Type")) or "utf-8-sig"
        columns, rows = parse_csv(decode_text(response.content, encoding, where), where)
    if not rows:
        raise MissingData(N_("{where}: no rows for {day} yet").format(
                              where=where, day=on_date.isoformat()))
    if source.date_column:
        return select_rows(rows, columns, source.date_column, on_date, date_format=source.date_format, where=where)
    return rows


def _json_rows(content: bytes, where: str) -> tuple[list[str], list[dict[str, Any]]]:
    try:
        data = json.loads(content)
    except ValueError:
        raise SourceError(_("{where}: the response is not JSON").format(where=where)) from None
    if isinstance(data, Mapping):
        data = data.get("rows", data.get("data"))
    if not isinstance(data, list) or not all(isinstance(r, Mapping) for r in data):
        raise SourceError(_('{where}: expected a JSON list of objects or {{"rows": [...]}}').format(where=where))
    rows = [{str(k).strip(): (v.strip() if isinstance(v, str) else v) for k, v in r.items()} for r in data]
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)
    return columns, rows
