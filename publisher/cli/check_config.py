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
        _sections(cfg)
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
    _holiday_warning(cfg)
    if as_json:
        echo_json(summary)
    else:
        click.echo(_("{path}: OK — {channels} channels ({names}), {categories} categories, database {database}").format(
            path=cfg.path, channels=len(cfg.channels), names=", ".join(summary["channels"]),
            categories=len(cfg.categories), database=summary["database"]))


def _sections(cfg) -> None:
    """The sections their own packages validate (``reposts:``); ConfigError naming the key."""
    from publisher.reposts.settings import repost_settings

    repost_settings(cfg)


def _holiday_warning(cfg) -> None:
    """From 1 December: say when next year's holiday arrangement is not known yet (deadlines would be marked)."""
    from datetime import datetime

    from publisher.foundation.workdays import missing_arrangement, use_holidays

    use_holidays(cfg.holidays)
    year = missing_arrangement(datetime.now(cfg.tz).date())
    if year is not None:
        click.echo(_("warning: the holiday arrangement of {year} is not known yet: add it to registers.holidays_file "
                     "(the State Council publishes it in November); until then deadlines in {year} are counted Monday "
                     "to Friday and marked 节假日安排未知").format(year=year), err=True)


def _redact_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
