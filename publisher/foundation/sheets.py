"""Rows of a register, back-fill or task file as offices keep them: CSV in UTF-8 or GBK (Excel's default on Chinese
Windows; each field decoded on its own, see foundation.legacy_text), an .xlsx workbook (the first sheet, a header row), or JSON Lines (or one JSON array)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from publisher.errors import InputError
from publisher.foundation.i18n import _


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, field → value) for every non-empty row; InputError naming the file or the line when it
    cannot be read."""
    if path.suffix.lower() == ".xlsx":
        return _xlsx_rows(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(_("cannot read {path}: {strerror}").format(path=path, strerror=exc.strerror),
                         field="FILE") from None
    text = _decoded(data, path)
    if path.suffix.lower() in (".jsonl", ".json"):
        return _json_rows(text)
    rows = csv.DictReader(io.StringIO(text))
    return [(n, {k.strip(): (v or "") for k, v in raw.items() if k}) for n, raw in enumerate(rows, 2)
            if any((v or "").strip() for v in raw.values() if isinstance(v, str))]


def _json_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            pairs = list(enumerate(json.loads(stripped), 1))
        except json.JSONDecodeError as exc:
            raise InputError(_("not JSON ({msg})").format(msg=exc.msg), field="FILE") from None
    else:
        pairs = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    pairs.append((n, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise InputError(_("line {n}: not JSON ({msg})").format(n=n, msg=exc.msg), field="FILE") from None
    for n, raw in pairs:
        if not isinstance(raw, dict):
            raise InputError(_("line {n}: not an object").format(n=n), field="FILE")
    return pairs


def _decoded(data: bytes, path: Path) -> str:
    """UTF-8 text as it is; GBK text (Excel's CSV on Chinese Windows) field by field, so that a Latin-1 name in it
    (Müller, José) is read as Latin-1 and not as mojibake."""
    from publisher.foundation.legacy_text import decode_table

    try:
        return decode_table(data, source=str(path))[0].lstrip("\ufeff")
    except InputError as exc:
        raise InputError(str(exc), field="FILE") from None


def _xlsx_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InputError(_("{path} is not an .xlsx workbook ({error})").format(path=path, error=type(exc).__name__),
                         field="FILE") from None
    try:
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(lines, ())]
        out = []
        for n, values in enumerate(lines, 2):
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            out.append((n, {h: _text(v) for h, v in zip(header, values) if h}))
        return out
    finally:
        book.close()


def _text(value: Any) -> str:
    """A cell as the register's text: dates as YYYY-MM-DD, whole numbers without .0."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
