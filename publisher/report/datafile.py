"""The office's data file: figures publisher cannot know (YAML keyed by year, or CSV year,table,row,column,value)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml

from publisher.errors import InputError
from publisher.foundation.i18n import _

TABLES = ("table2", "table3", "table4")


def read_data_file(path: Path | None, year: int) -> dict[str, dict[str, dict[str, float]]]:
    """``{table: {row: {column: number}}}`` for ``year``; an absent file gives nothing, a malformed one InputError."""
    if path is None or not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(_("cannot read {path}: {value}").format(
                             path=path,
                             value=getattr(exc, 'strerror', None) or 'not UTF-8'), field="report.data_file") from None
    if path.suffix.lower() == ".csv":
        return _from_csv(text, year, path)
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise InputError(_("{path}: not valid YAML ({exc})").format(
                             path=path, exc=exc), field="report.data_file") from None
    if not isinstance(doc, dict):
        raise InputError(_("{path}: a mapping of years is expected").format(path=path), field="report.data_file")
    block = doc.get(year, doc.get(str(year))) or {}
    out: dict[str, dict[str, dict[str, float]]] = {}
    for table, rows in block.items():
        where = f"{year}.{table}"
        if table not in TABLES:
            raise InputError(_("{path}: unknown table (use {names})").format(
                                 path=path, names=', '.join(TABLES)), field=where)
        if not isinstance(rows, dict):
            raise InputError(_("{path}: rows of column: number expected").format(path=path), field=where)
        for row, cells in rows.items():
            if not isinstance(cells, dict):
                raise InputError(_("{path}: column: number expected").format(path=path), field=f"{where}.{row}")
            for column, value in cells.items():
                out.setdefault(table, {}).setdefault(str(row), {})[str(column)] = _number(value, path, f"{where}.{row}.{column}")
    return out


def _from_csv(text: str, year: int, path: Path) -> dict:
    out: dict[str, dict[str, dict[str, float]]] = {}
    reader = csv.DictReader(io.StringIO(text))
    missing = {"year", "table", "row", "column", "value"} - set(reader.fieldnames or ())
    if missing:
        raise InputError(_("{path}: missing column(s) {names}").format(
                             path=path, names=', '.join(sorted(missing))), field="report.data_file")
    for n, r in enumerate(reader, 2):
        if str(r["year"]).strip() != str(year):
            continue
        table = r["table"].strip()
        if table not in TABLES:
            raise InputError(_("{path}: line {n}: unknown table {table!r}").format(
                                 path=path, n=n, table=table), field="table")
        out.setdefault(table, {}).setdefault(r["row"].strip(), {})[r["column"].strip()] = \
            _number(r["value"], path, f"line {n}")
    return out


def _number(value: Any, path: Path, where: str) -> float:
    if isinstance(value, bool):
        raise InputError(_("{path}: {value!r} is not a number").format(path=path, value=value), field=where)
    try:
        number = float(str(value).strip())
    except ValueError:
        raise InputError(_("{path}: {value!r} is not a number").format(path=path, value=value), field=where) from None
    return int(number) if number.is_integer() else number
