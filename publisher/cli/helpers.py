"""What the command modules share: exit codes, JSON output, id ranges, office-time stamps, the review printout."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from publisher.foundation.i18n import _
from publisher.foundation.textwidth import pad

EXIT_FAILED, EXIT_INPUT, EXIT_REFUSED, EXIT_INTERRUPTED = 1, 2, 3, 130


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (Chinese kept as is, datetimes as ISO strings)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)


def ranges(ids: list[int]) -> str:
    """Item ids as compact ranges: ``1-3,7,9-10``."""
    out, start, prev = [], None, None
    for i in sorted(ids):
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            out.append(f"{start}-{prev}" if start != prev else str(start))
            start = prev = i
    if start is not None:
        out.append(f"{start}-{prev}" if start != prev else str(start))
    return ",".join(out)


def local_time(app, when) -> str:
    """``when`` in the office's time zone as ``YYYY-MM-DD HH:MM`` (empty for None)."""
    return when.astimezone(app.config.tz).strftime("%Y-%m-%d %H:%M") if when else ""


def print_review(app, data: dict) -> None:
    """An item's review as text: its state, the history of decisions, the gate's findings."""
    step = data["step"]
    click.echo(f"#{data['id']} {_(data['state'])}"
               + (_(": waiting for {name} ({role})").format(name=step["name"], role=_(step["role"])) if step else "")
               + (_(" — late") if data["late"] else "") + (_(" — held for a new time") if data["held"] else ""))
    for h in data["history"]:
        note = f" — {h['comment']}" if h["comment"] else ""
        override = _(" [override: {override}]").format(override=h["override"]) if h["override"] else ""
        click.echo(f"  {local_time(app, h['at'])}  {pad(_(h['decision']), 10)} {pad(h['step'] or '', 6)} {h['user']}"
                   f"{note}{override}")
    from publisher.items.checking import shown_finding

    for f in map(shown_finding, data["findings"]):
        click.echo("  " + _("gate: {kind} in {field} ({where}): {text}").format(
            kind=f["kind"], field=f["field"], where=f["where"], text=f["text"])
                   + (f" → {f['suggestion']}" if f["suggestion"] else ""))
    for name in data["unchecked"]:
        click.echo("  " + _("gate: {name} not checked (image or scanned): confirm it by eye").format(name=name))
