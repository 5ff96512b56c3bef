"""Pad and cut text by terminal columns, not characters: a Chinese character takes two columns."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` columns (longer text is left as it is)."""
    return text + " " * max(0, width - cell_len(text))


def fit(text: str, width: int) -> str:
    """``text`` cut or padded to exactly ``width`` columns."""
    return set_cell_size(text, width)
