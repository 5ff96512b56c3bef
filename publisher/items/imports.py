"""Imports: a JSON Lines, CSV or Excel file of items queued all or none, every bad row named by its line."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from publisher.accounts.users import Actor
from publisher.errors import InputError, Refused
from publisher.foundation.legacy_text import decode_table
from publisher.foundation.i18n import _
from publisher.items.intake import (
    CATALOGUE_INPUTS, FIELDS, ItemRequest, insert, parse_options, prepare, read_bytes,
)
from publisher.runtime.app import App


MAX_ROW_PROBLEMS = 200  # listed in one message; the count of the rest is given


def read_import(path: Path, *, encoding: str | None = None,
                decoded: dict[str, list[int]] | None = None) -> list[tuple[int, ItemRequest]]:
    """Parse a JSON Lines, CSV or .xlsx file into (line number, request) pairs; InputError lists every bad line.
    A text file that is not UTF-8 is decoded field by field; ``decoded`` receives {decoding: line numbers}."""
    if not path.is_file():
        raise InputError(_("file not found: {path}").format(path=path))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows, problems = _xlsx_rows(path)
    else:
        text, lines = decode_table(read_bytes(path), source=str(path), encoding=encoding)
        if decoded is not None:
            decoded.update(lines)
        is_jsonl = path.suffix.lower() in (".jsonl", ".ndjson", ".json") or text.lstrip().startswith("{")
        rows, problems = _jsonl_rows(text) if is_jsonl else _csv_rows(text, path)
    requests = []
    for line, row in rows:
        try:
            requests.append((line, _request_from_row(row, path, line)))
        except InputError as exc:
            problems.append((line, str(exc)))
    if problems:
        raise row_problems(path, problems)
    if not requests:
        raise InputError(_("{path}: no items in the file").format(path=path))
    return requests


def row_problems(path: Path, problems: list[tuple[int, str]]) -> InputError:
    """One InputError listing every bad line of an import (nothing was queued)."""
    problems = sorted(problems)
    lines = [_("line {line}: {message}").format(line=line, message=message) if line else message
             for line, message in problems[:MAX_ROW_PROBLEMS]]
    if len(problems) > MAX_ROW_PROBLEMS:
        lines.append(_("… and {count} more").format(count=len(problems) - MAX_ROW_PROBLEMS))
    return InputError(_("{path}: {count} bad row(s), nothing was queued:").format(path=path, count=len(problems))
                      + "\n  " + "\n  ".join(lines))


def _refuse_constant(name: str) -> Any:
    raise ValueError(_('{name} is not a value (write numbers as text, e.g. "1")').format(name=name))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(_("{text} is too large a number (write it as text in quotes)").format(text=text))
    return value


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(_("duplicate key {key!r}").format(key=key))
        seen[key] = value
    return seen


def _jsonl_rows(text: str) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    rows, problems = [], []
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines(): U+2028 and \x85 may sit inside strings
        if not line.strip():
            continue
        try:
            row = json.loads(line, object_pairs_hook=_unique_pairs, parse_constant=_refuse_constant,
                             parse_float=_finite_float)
        except json.JSONDecodeError as exc:
            problems.append((number, _("not valid JSON ({msg})").format(msg=exc.msg)))
            continue
        except (ValueError, RecursionError) as exc:
            problems.append((number, str(exc) if not isinstance(exc, RecursionError) else _("nested too deeply")))
            continue
        if not isinstance(row, dict):
            problems.append((number, _("each line must be a JSON object")))
            continue
        rows.append((number, row))
    return rows, problems


def _check_header(names: list[Any]) -> list[str]:
    """Problems of a CSV or sheet header: unknown and repeated columns."""
    cleaned = [str(n).strip() for n in names if n is not None and str(n).strip()]
    problems = []
    unknown = [n for n in cleaned if n not in FIELDS]
    if unknown:
        problems.append(_("unknown column(s) {names} (known: {known})").format(
                            names=', '.join(unknown), known=', '.join(FIELDS)))
    twice = sorted({n for n in cleaned if cleaned.count(n) > 1})
    if twice:
        problems.append(_("column(s) {names} appear more than once").format(names=', '.join(twice)))
    return problems


def _csv_rows(text: str, path: Path) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise InputError(_("{path}: line 1: not a CSV header ({exc})").format(path=path, exc=exc)) from None
    if not fieldnames:
        raise InputError(_("{path}: empty CSV file").format(path=path))
    header = _check_header(list(fieldnames))
    if header:
        raise InputError(_("{path}: line 1: {problems}").format(path=path, problems="; ".join(header)))
    rows, problems = [], []
    try:
        for row in reader:
            if row.get(None):
                problems.append((reader.line_num, _("more fields than the header's {count} "
                                                    "(put a value containing a comma in double quotes)").format(
                                                      count=len(fieldnames))))
                continue
            rows.append((reader.line_num, {k.strip(): v for k, v in row.items() if k and v not in (None, "")}))
    except csv.Error as exc:
        problems.append((reader.line_num, _("not valid CSV ({exc})").format(exc=exc)))
    return rows, problems


def _xlsx_rows(path: Path) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    """The first sheet of a workbook: row 1 names the columns, like a CSV header."""
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(_("{path}: not an Excel .xlsx workbook ({kind})").format(
                             path=path, kind=type(exc).__name__)) from None
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = next(values, None)
        if not header or not any(h is not None for h in header):
            raise InputError(_("{path}: the first sheet is empty (row 1 names the columns)").format(path=path))
        problems = _check_header(list(header))
        if problems:
            raise InputError(_("{path}: line 1: {problems}").format(path=path, problems="; ".join(problems)))
        names = [str(h).strip() if h is not None else None for h in header]
        rows = []
        for number, cells in enumerate(values, 2):
            row = {}
            for name, cell in zip(names, cells):
                if name is None or cell is None or (isinstance(cell, str) and not cell.strip()):
                    continue
                row[name] = cell.isoformat() if isinstance(cell, datetime) else cell
            if row:
                rows.append((number, row))
        return rows, []
    finally:
        book.close()


def _request_from_row(row: dict, path: Path, line: int) -> ItemRequest:
    unknown = [k for k in row if k not in FIELDS]
    if unknown:
        raise InputError(_("unknown field(s) {names} (known: {known})").format(
                             names=', '.join(unknown), known=', '.join(FIELDS)))
    for key, value in row.items():
        values = value if key in ("channels", "attach") and isinstance(value, list) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise InputError(_("{key} must be text, not a number that is not finite").format(key=key))
        if key != "options" and not all(v is None or isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                        for v in values):
            raise InputError(_("{key} must be text, not {value}").format(
                                 key=key, value=json.dumps(value, ensure_ascii=False)))

    def as_list(value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [v.strip() for v in re.split(r"[;|]", str(value)) if v.strip()]

    options = row.get("options") or {}
    if isinstance(options, str):
        try:
            options = json.loads(options)
        except json.JSONDecodeError:
            options = parse_options(as_list(options))
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise InputError(_('options must be an object like {{"wechat": {{"title": "..."}}}}'))
    return ItemRequest(
        title=_str(row.get("title")), category=_str(row.get("category")), body=_str(row.get("body")),
        body_file=_str(row.get("body_file")), channels=as_list(row.get("channels")), at=_str(row.get("at")),
        department=_str(row.get("department")) or "", attach=as_list(row.get("attach")),
        summary=_str(row.get("summary")) or "", author=_str(row.get("author")) or "", options=options,
        encoding=_str(row.get("encoding")), key=_str(row.get("key")), base_dir=path.parent,
        catalogue={name: row[name] for name in CATALOGUE_INPUTS if row.get(name) not in (None, "")},
    )


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def import_file(app: App, path: Path, *, encoding: str | None = None, again: bool = False,
                actor: Actor | None = None, decoded: dict[str, list[int]] | None = None) -> list[int]:
    """Queue every item of a file, or none: the first bad row is named and nothing is written.

    A file imported before (the same bytes) is refused unless ``again``; rows whose key the office already
    has are left out either way. ``decoded`` receives which lines of a legacy-encoded file were decoded how.
    """
    actor = actor or app.current_actor()
    digest = hashlib.sha256(read_bytes(path)).hexdigest() if path.is_file() else None
    earlier = app.store.earlier_import(actor.office, digest) if digest else None
    if earlier and not again:
        raise Refused("imported_before", _("{name} was imported on {at:%Y-%m-%d %H:%M} UTC by {actor} ({count} "
                                           "items); give --again to import it again").format(
                                             name=path.name,
                                             at=earlier['at'],
                                             actor=earlier['actor'],
                                             count=earlier['count']))
    prepared, problems = [], []
    for line, request in read_import(path, encoding=encoding, decoded=decoded):
        try:
            prepared.append(prepare(app, request))
        except InputError as exc:
            problems.append((line, str(exc)))
    if problems:
        raise row_problems(path, problems)
    return insert(app, prepared, source=f"import {path.name}", actor=actor, skip_existing_keys=True,
                  imported={"file": path.name, "sha256": digest, "again": again or None})
