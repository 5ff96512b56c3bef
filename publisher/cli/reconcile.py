"""``publisher reconcile``: read every channel back and compare it with the ledger."""

from __future__ import annotations

import sys

import click

from publisher.cli.context import CliContext
from publisher.cli.helpers import EXIT_FAILED, echo_json
from publisher.cli.types import YEAR
from publisher.errors import InputError
from publisher.foundation.i18n import _, shown


@click.command("reconcile")
@click.option("--channel", default=None, help="only this channel")
@click.option("--year", type=YEAR, default=None, help="only deliveries of this year")
@click.option("--fix", is_flag=True, help="record removals and settle in-doubt deliveries found on the channel")
@click.option("--yes", is_flag=True, help="with --fix: apply without asking (for scripts)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reconcile_cmd(obj: CliContext, channel: str | None, year: int | None, fix: bool, yes: bool,
                  as_json: bool) -> None:
    """Read every channel back and compare it with the ledger; exit 1 when a difference needs a person."""
    from publisher.delivery.reconcile import apply, reconcile

    app = obj.app()
    if channel and channel not in app.config.channels:
        raise InputError(_("{name!r} is not configured").format(name=channel), field="channel")
    app.require_secrets([channel] if channel else None)
    report = reconcile(app, channel, year=year)
    if fix and report.fixable:
        if not yes:
            _list_changes(report)
            if not click.confirm(_("apply these {count} change(s) to the ledger?").format(
                                     count=len(report.fixable)), err=True, default=False):
                click.echo(_("nothing applied"), err=True)
                sys.exit(EXIT_FAILED)
        apply(app, report)
    if as_json:
        echo_json(report.as_dict())
    else:
        _print(report)
    if report.needs_person or report.refused:
        sys.exit(EXIT_FAILED)


def _list_changes(report) -> None:
    """What --fix would change, one line each, on stderr before asking."""
    click.echo(_("--fix would change:"), err=True)
    for f in report.fixable:
        click.echo(f"  {f.channel}: " + _("item {id}").format(id=f.item_id) + f" {_(f.kind.value)}: {shown(f.reason)}",
                   err=True)


def _print(report) -> None:
    for name, why in report.skipped.items():
        click.echo(_("{channel}: not reconciled: {why}").format(channel=name, why=_(why)))
    for f in report.findings:
        where = _("item {id}").format(id=f.item_id) if f.item_id is not None else _("record {id}").format(
            id=f.external_id)
        if f.fixed:
            state = _("fixed")
        elif f.held:
            state = shown(f.held)
        else:
            state = _("fix with --fix") if f.kind.fixable else _("needs a person")
        click.echo(f"{f.channel}: {where} {_(f.kind.value)}: {shown(f.reason)} [{state}]")
    for name, counts in report.refused.items():
        click.echo(_("{channel}: {removed} of {checked} publications read back as removed at once: refused as a "
                     "likely outage or misconfiguration; check the channel's address and read-back, the operators "
                     "were alerted").format(channel=name, **counts), err=True)
    checked = ", ".join(f"{name} {n}" for name, n in report.checked.items())
    click.echo(_("checked {checked}; {count} difference(s), {left} left").format(
        checked=checked or _("nothing"), count=len(report.findings), left=len(report.needs_person)))
