"""The packages depend one way: each imports only from the layers below it (function-level imports included),
and no modules import each other in a circle. docs/architecture.md draws the layers."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# lowest first; a package may import from its own layer and every layer before it
LAYERS = [
    {"publisher", "publisher.foundation", "publisher.adapter", "publisher.errors", "publisher.http"},
    {"publisher.gate"},
    {"publisher.db"},
    {"publisher.config"},
    {"publisher.ledger"},
    {"publisher.accounts"},
    {"publisher.runtime"},
    {"publisher.delivery"},
    {"publisher.review"},
    {"publisher.items"},
    {"publisher.series"},
    {"publisher.reposts"},
    {"publisher.report"},
    {"publisher.inspection"},
    {"publisher.channel_registry"},
    {"publisher.daemon"},
    {"publisher.ops"},
    {"publisher.web", "publisher.cli", "publisher.sandbox", "publisher.__main__", "channels"},
]
# upward edges on purpose, each with its reason
ALLOWED_UPWARD = {
    # the configuration validates the series section with the series' own models
    ("publisher.config.load", "publisher.series.models"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for top in ("publisher", "channels"):
        for path in (ROOT / top).rglob("*.py"):
            if "versions" not in path.parts:
                found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every publisher/channels module ``path`` imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def layer_of(name: str) -> int:
    best, best_len = None, -1
    for index, layer in enumerate(LAYERS):
        for prefix in layer:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    assert best is not None, f"{name} belongs to no layer: add its package to LAYERS"
    return best


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def test_every_import_points_down_the_layers():
    upward = sorted((a, b) for a, deps in graph().items() for b in deps
                    if layer_of(b) > layer_of(a) and (a, b) not in ALLOWED_UPWARD)
    assert upward == []


def test_the_allowed_upward_edges_still_exist():
    edges = {(a, b) for a, deps in graph().items() for b in deps}
    assert ALLOWED_UPWARD <= edges, "an allowed upward edge is gone: remove it from ALLOWED_UPWARD"


def test_no_modules_import_each_other_in_a_circle():
    deps = graph()
    circles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(deps[node]):
            if state.get(nxt) == "open":
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(deps):
        if node not in state:
            visit(node, [])
    assert circles == []
