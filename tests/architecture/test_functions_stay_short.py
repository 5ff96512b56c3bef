"""No function of publisher or its channels runs over 60 lines: a longer one is split into named steps.
Emulators (they mimic other people's servers) and applied migrations (history) are exempt."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 60


def exempt(path: Path) -> bool:
    rel = path.relative_to(ROOT)
    return rel.name == "emulator.py" or "versions" in rel.parts


def test_no_function_is_longer_than_sixty_lines():
    long = []
    for top in ("publisher", "channels"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if exempt(path):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = node.end_lineno - node.lineno + 1
                    if length > LIMIT:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert long == []
