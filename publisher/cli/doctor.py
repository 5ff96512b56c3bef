"""``publisher doctor [--json]``: is this installation able to work? Exit 0 when every check passed, 1 if not."""

from __future__ import annotations

import sys

import click

from publisher.cli.helpers import EXIT_FAILED, echo_json
from publisher.foundation.i18n import _


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def doctor_cmd(obj, as_json: bool) -> None:
    """Check Python, the configuration, the database, each channel, PDF fonts, LibreOffice, holidays, permissions
    and the clock; say what to do about each problem."""
    from publisher.ops.doctor import FAIL, OK, WARN, as_dicts, run_checks

    checks = run_checks(obj.config_path)
    failed = [c for c in checks if c.status == FAIL]
    if as_json:
        echo_json({"ok": not failed, "checks": as_dicts(checks)})
    else:
        marks = {OK: _("ok"), WARN: _("warn"), FAIL: _("FAIL")}
        for c in checks:
            click.echo(f"[{marks[c.status]}] {c.name}: {c.verdict}")
            if c.fix and c.status != OK:
                click.echo("      " + _("what to do: {fix}").format(fix=c.fix))
        click.echo(_("{failed} of {total} checks failed").format(failed=len(failed), total=len(checks)) if failed
                   else _("all {total} checks passed").format(total=len(checks)))
    sys.exit(EXIT_FAILED if failed else 0)
