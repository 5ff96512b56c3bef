"""The tables laid out as grids of cells with row/column spans, shaped like the official forms (HTML and DOCX)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from publisher.report import shapes
from publisher.report.render_md import fmt_number


@dataclass
class Cell:
    """One cell at (row, col) spanning ``rows`` × ``cols``; ``head`` cells are centred labels."""

    text: str
    row: int
    col: int
    rows: int = 1
    cols: int = 1
    head: bool = False
    number: bool = False
    left: bool = False  # a row label read as text (Table 三's numbered items)


@dataclass
class Grid:
    width: int
    height: int
    cells: list[Cell]
    header_rows: int = 0

    def rows(self) -> list[list[Cell]]:
        """The cells starting in each row, left to right (what HTML needs)."""
        out: list[list[Cell]] = [[] for _ in range(self.height)]
        for c in self.cells:
            out[c.row].append(c)
        return [sorted(r, key=lambda c: c.col) for r in out]


class _Builder:
    def __init__(self, width: int):
        self.width, self.cells, self.row = width, [], 0

    def add(self, text: str, col: int, rows: int = 1, cols: int = 1, head: bool = False, row: int | None = None,
            number: bool = False, left: bool = False) -> None:
        self.cells.append(Cell(text, self.row if row is None else row, col, rows, cols, head, number, left))

    def values(self, values: list[Any], col: int, spans: list[int] | None = None) -> None:
        spans = spans or [1] * len(values)
        for v, span in zip(values, spans):
            self.add(fmt_number(v), col, cols=span, number=True)
            col += span

    def grid(self, header_rows: int) -> Grid:
        return Grid(self.width, self.row, self.cells, header_rows)


def table2_grid(table: dict[str, Any]) -> Grid:
    """Table 二: per clause a heading row, a column-title row and one row per kind of information (4 columns)."""
    b = _Builder(4)
    for block in table["blocks"]:
        b.add(block["clause"], 0, cols=4, head=True)
        b.row += 1
        spans = _spans(len(block["columns"]))
        b.add("信息内容", 0, head=True)
        col = 1
        for title, span in zip(block["columns"], spans):
            b.add(title, col, cols=span, head=True)
            col += span
        b.row += 1
        for r in block["rows"]:
            b.add(r["label"], 0, head=True)
            b.values([r["values"][c] for c in block["columns"]], 1, spans)
            b.row += 1
    return b.grid(0)


def _spans(n: int) -> list[int]:
    return {1: [3], 2: [1, 2], 3: [1, 1, 1]}[n]


def table3_grid(table: dict[str, Any], template: str) -> Grid:
    """Table 三: three label columns (一、 · （一） · 1.) and seven columns of applicants, header merged as the form."""
    b = _Builder(10)
    b.add(table["note"], 0, rows=3, cols=3, head=True)
    b.add("申请人情况", 3, cols=7, head=True)
    b.row = 1
    b.add("自然人", 3, rows=2, head=True)
    b.add("法人或其他组织", 4, cols=5, head=True)
    b.add("总计", 9, rows=2, head=True)
    b.row = 2
    for i, kind in enumerate(shapes.LEGAL_PERSON_TYPES):
        b.add(kind, 4 + i, head=True)
    b.row = 3
    by_key = {r["key"]: r for r in table["rows"]}
    columns = table["columns"]

    def line(key: str, label_col: int, label: str | None, label_cols: int) -> None:
        if label is not None:
            b.add(label, label_col, cols=label_cols, head=True, left=label_col == 2)
        b.values([by_key[key]["values"][c] for c in columns], 3)
        b.row += 1

    for key in (shapes.ROW_NEW, shapes.ROW_CARRIED_IN):
        line(key, 0, by_key[key]["label"], 3)
    outcome_rows = shapes.outcomes(template)
    b.add(shapes.RESULTS_LABEL, 0, rows=len(outcome_rows) + 1, head=True)
    groups: dict[str, list[shapes.Outcome]] = {}
    for o in outcome_rows:
        groups.setdefault(o.group, []).append(o)
    for group, members in groups.items():
        if len(members) == 1 and not members[0].label:
            line(members[0].code, 1, group, 2)
            continue
        b.add(group, 1, rows=len(members), head=True)
        for o in members:
            line(o.code, 2, o.label, 1)
    line(shapes.ROW_TOTAL, 1, shapes.ROW_LABELS[shapes.ROW_TOTAL], 2)
    line(shapes.ROW_CARRIED_OUT, 0, shapes.ROW_LABELS[shapes.ROW_CARRIED_OUT], 3)
    return b.grid(3)


def table4_grid(table: dict[str, Any]) -> Grid:
    """Table 四: 行政复议 (5) · 行政诉讼 未经复议直接起诉 (5) · 复议后起诉 (5), one row of fifteen numbers."""
    b = _Builder(15)
    b.add("行政复议", 0, cols=5, head=True)
    b.add("行政诉讼", 5, cols=10, head=True)
    b.row = 1
    for i, c in enumerate(shapes.TABLE4_COLUMNS):
        b.add(c, i, rows=2, head=True)
    b.add("未经复议直接起诉", 5, cols=5, head=True)
    b.add("复议后起诉", 10, cols=5, head=True)
    b.row = 2
    for i in range(10):
        b.add(shapes.TABLE4_COLUMNS[i % 5], 5 + i, head=True)
    b.row = 3
    col = 0
    for r in table["rows"]:
        b.values([r["values"][c] for c in table["columns"]], col)
        col += 5
    b.row = 4
    return b.grid(3)


def grid_for(name: str, report: dict[str, Any]) -> Grid:
    table = report["tables"][name]
    if name == "二":
        return table2_grid(table)
    if name == "三":
        return table3_grid(table, report["template"])
    return table4_grid(table)
