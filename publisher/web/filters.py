"""Jinja2 filters for the console: local times, Chinese labels."""

from __future__ import annotations

import json
from datetime import datetime

from publisher.runtime.app import App
from publisher.items.checking import shown_field
from publisher.foundation.i18n import shown
from publisher.foundation.labels import label


def install(env, app: App) -> None:
    """Register the console's filters on a Jinja2 environment."""
    tz = app.config.tz

    def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(tz).strftime(fmt) if isinstance(value, datetime) else ""

    def channel_name(name: str) -> str:
        s = app.config.channels.get(name)
        return (s.display_name if s else None) or name

    env.globals["open_reposts"] = lambda office: _open_reposts(app, office)
    env.filters.update(
        local=local,
        status=lambda v: label("status", v),
        decision=lambda v: label("decision", v),
        role=lambda v: label("role", v),
        channel=channel_name,
        finding=lambda v: label("finding", v),
        stored=lambda text: shown(text) or "",
        gate_field=shown_field,
        detail=lambda d: json.dumps(d, ensure_ascii=False, default=str)[:600] if d else "",
    )


def _open_reposts(app: App, office: str) -> list[dict]:
    from publisher.reposts.rates import open_tasks

    return open_tasks(app, office)
