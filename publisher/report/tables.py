"""The three statutory tables' cells, each with where its number came from."""

from __future__ import annotations

from typing import Any

from publisher.errors import InputError
from publisher.report import shapes
from publisher.foundation.i18n import _

LEDGER_ROW_ALIASES = {"规范性文件": "行政规范性文件", "行政规范性文件": "规范性文件"}


def table2(template: str, data: dict[str, dict[str, float]], ledger: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Table 二: ledger counts where items carry the kind, the data file for the rest, 0 (未填报) otherwise.

    ``ledger`` maps a row to ``{"column", "count", "items", "categories"}``.
    """
    blocks, unfilled = [], []
    known_rows = {row for b in shapes.TABLE2[template] for row in b.rows}
    for row in data:
        if row not in known_rows and LEDGER_ROW_ALIASES.get(row) not in known_rows:
            raise InputError(_("no row {row!r} in Table 二 of the {template} format (rows: {names})").format(
                                 row=row,
                                 template=template,
                                 names='、'.join(sorted(known_rows))), field=f"table2.{row}")
    for block in shapes.TABLE2[template]:
        rows = []
        for row in block.rows:
            given = data.get(row) or data.get(LEDGER_ROW_ALIASES.get(row, ""), {})
            for column in given:
                if column not in block.columns:
                    raise InputError(_("no column {column!r} for {row} (columns: {names})").format(
                                         column=column, row=row, names='、'.join(block.columns)),
                                     field=f"table2.{row}.{column}")
            counted = ledger.get(row)
            values, sources = {}, {}
            for column in block.columns:
                if counted and column in counted.get("cells", {}):
                    if column in given:
                        raise InputError(_("{row} {column} is counted from the records (items of genre {genre}); "
                                           "remove it from the data file").format(
                                             row=row, column=column, genre=counted["genre"]),
                                         field=f"table2.{row}.{column}")
                    values[column] = counted["cells"][column]["count"]
                    sources[column] = {"from": "records", "genre": counted["genre"],
                                       "items": counted["cells"][column]["items"]}
                elif counted and counted.get("column") == column:
                    if column in given:
                        raise InputError(_("{row} {column} is counted from the ledger (categories {names}); remove "
                                           "it from the data file").format(
                                             row=row, column=column, names='、'.join(counted['categories'])),
                                         field=f"table2.{row}.{column}")
                    values[column] = counted["count"]
                    sources[column] = {"from": "ledger", "categories": counted["categories"], "items": counted["items"]}
                elif column in given:
                    values[column] = given[column]
                    sources[column] = {"from": "data_file"}
                else:
                    values[column] = 0
                    sources[column] = {"from": "unfilled"}
                    unfilled.append(f"{row}·{column}")
            rows.append({"label": row, "values": values, "sources": sources})
        blocks.append({"clause": block.clause, "columns": list(block.columns), "rows": rows})
    return {"blocks": blocks, "unfilled": unfilled}


def table3(template: str, cells: dict[str, dict[str, list[int]]] | None, data: dict[str, dict[str, float]] | None,
           source: str) -> dict[str, Any]:
    """Table 三 from the register's ``cells`` (row → type → ids) or the data file's figures."""
    rows = []
    codes = [shapes.ROW_NEW, shapes.ROW_CARRIED_IN] + [o.code for o in shapes.outcomes(template)] + \
            [shapes.ROW_TOTAL, shapes.ROW_CARRIED_OUT]
    outcome_by_code = {o.code: o for o in shapes.outcomes(template)}
    if data is not None:
        data = _table3_data_keys(data, template, codes)
    for code in codes:
        o = outcome_by_code.get(code)
        entry: dict[str, Any] = {"key": code, "label": shapes.ROW_LABELS.get(code) or o.full_label,
                                 "group": o.group if o else None, "item": o.label if o else None}
        if data is None:
            by_type = (cells or {}).get(code, {})
            entry["values"] = {t: len(by_type.get(t, [])) for t in shapes.APPLICANT_TYPES}
            entry["sources"] = {t: sorted(by_type.get(t, [])) for t in shapes.APPLICANT_TYPES if by_type.get(t)}
        else:
            given = data.get(code, {})
            entry["values"] = {t: given.get(t, 0) for t in shapes.APPLICANT_TYPES}
            if "总计" in given:
                entry["stated_total"] = given["总计"]
            if code == shapes.ROW_TOTAL and not given:
                entry["computed"] = True
        rows.append(entry)
    outcome_codes = set(outcome_by_code)
    total_row = next(r for r in rows if r["key"] == shapes.ROW_TOTAL)
    if total_row.pop("computed", False):
        total_row["values"] = {t: sum(r["values"][t] for r in rows if r["key"] in outcome_codes)
                               for t in shapes.APPLICANT_TYPES}
    for r in rows:
        r["values"]["总计"] = r.pop("stated_total", sum(r["values"][t] for t in shapes.APPLICANT_TYPES))
    return {"columns": list(shapes.TABLE3_COLUMNS), "rows": rows, "source": source, "note": shapes.TABLE3_CHECK_NOTE}


def _table3_data_keys(data: dict[str, dict[str, float]], template: str, codes: list[str]) -> dict[str, dict[str, float]]:
    by_label = {label: code for code, label in shapes.ROW_LABELS.items()}
    out = {}
    for key, cells in data.items():
        code = key if key in codes else by_label.get(key)
        if code is None:
            try:
                code = shapes.outcome_row(shapes.parse_outcome(key), template)
            except ValueError:
                raise InputError(_("no row {key!r} in Table 三 (use 一, 二, an outcome such as 3.4, 三.七 or 四)").format(
                                     key=key),
                                 field=f"table3.{key}") from None
        for column in cells:
            if column not in shapes.TABLE3_COLUMNS:
                raise InputError(_("no column {column!r} (use {names})").format(
                                     column=column, names='、'.join(shapes.TABLE3_COLUMNS)),
                                 field=f"table3.{key}.{column}")
        out[code] = cells
    return out


def table4(cells: dict[str, dict[str, list[int]]] | None, data: dict[str, dict[str, float]] | None,
           source: str) -> dict[str, Any]:
    """Table 四: one row per kind of appeal, 结果维持 · 结果纠正 · 其他结果 · 尚未审结 · 总计."""
    rows = []
    for kind in shapes.APPEAL_KINDS:
        if data is not None:
            for column in data.get(kind, {}):
                if column not in shapes.TABLE4_COLUMNS:
                    raise InputError(_("no column {column!r} (use {names})").format(
                                         column=column, names='、'.join(shapes.TABLE4_COLUMNS)),
                                     field=f"table4.{kind}.{column}")
            given = data.get(kind, {})
            values = {c: given.get(c, 0) for c in shapes.APPEAL_RESULTS}
            values["总计"] = given.get("总计", sum(values.values()))
            rows.append({"label": kind, "values": values})
        else:
            by_result = (cells or {}).get(kind, {})
            values = {c: len(by_result.get(c, [])) for c in shapes.TABLE4_COLUMNS}
            rows.append({"label": kind, "values": values,
                         "sources": {c: sorted(v) for c, v in by_result.items() if v}})
    unknown = sorted(set(data or {}) - set(shapes.APPEAL_KINDS))
    if unknown:
        raise InputError(_("no row {unknown!r} in Table 四 (use {names})").format(
                             unknown=unknown[0], names='、'.join(shapes.APPEAL_KINDS)),
                         field=f"table4.{unknown[0]}")
    return {"columns": list(shapes.TABLE4_COLUMNS), "rows": rows, "source": source,
            "groups": {"行政复议": ["行政复议"], "行政诉讼": ["未经复议直接起诉", "复议后起诉"]}}
