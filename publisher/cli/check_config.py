"""``publisher check-config``: validate the configuration and name every problem by its key path."""

from __future__ import annotations

import sys

import click

from publisher.cli.context import CliContext
from publisher.cli.helpers import EXIT_INPUT, echo_json
from publisher.errors import ConfigError
from publisher.foundation.i18n import _


@click.command("check-config")
@click.option("--offline", is_flag=True, help="do not require channel secrets (for a machine that only reports)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def check_config(obj: CliContext, offline: bool, as_json: bool) -> None:
    """Validate the configuration; list every problem by key path (exit 2)."""
    try:
        cfg = obj.config()
        missing = [p for problems in cfg.missing_secrets.values() for p in problems]
        if missing and not offline:
            raise ConfigError(missing, str(cfg.path))
    except ConfigError as exc:
        if as_json:
            echo_json({"ok": False, "path": exc.path, "problems": exc.problems})
            sys.exit(EXIT_INPUT)
        raise
    summary = {"ok": True, "path": str(cfg.path), "channels": {n: s.type for n, s in cfg.channels.items()},
               "categories": cfg.categories, "database": _redact_url(cfg.database_url), "series": list(cfg.series)}
    if as_json:
        echo_json(summary)
    else:
        click.echo(_("{path}: OK — {channels} channels ({names}), {categories} categories, database {database}").format(
            path=cfg.path, channels=len(cfg.channels), names=", ".join(summary["channels"]),
            categories=len(cfg.categories), database=summary["database"]))


def _redact_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
