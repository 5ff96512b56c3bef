"""Print every dependency of pyproject.toml (and its postgresql and test extras) pinned at its declared minimum."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

root = Path(__file__).resolve().parent.parent
project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
extras = project.get("optional-dependencies", {})
requirements = project["dependencies"] + extras.get("postgresql", []) + extras.get("test", [])
pins: dict[str, str] = {}
for requirement in requirements:
    match = re.match(r"\s*([A-Za-z0-9_.-]+(?:\[[^\]]+\])?)\s*(.*)", requirement)
    name, spec = match.group(1), match.group(2)
    lower = re.search(r">=\s*([0-9][^,;\s]*)", spec)
    if not lower:
        sys.exit(f"{requirement!r} declares no lower bound (>=): give it one")
    pins[name.lower()] = f"{name}=={lower.group(1)}"
print("\n".join(pins.values()))
