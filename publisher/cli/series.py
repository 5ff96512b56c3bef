"""``publisher series``: recurring publications from data: list, run one day, standing approvals."""

from __future__ import annotations

import sys

import click

from publisher.cli.context import CliContext
from publisher.cli.helpers import EXIT_FAILED, echo_json
from publisher.errors import InputError
from publisher.foundation.i18n import N_, _, shown
from publisher.foundation.redact import scrub
from publisher.series.occurrence_status import OccurrenceStatus

# an occurrence's statuses as `series list` shows them
STATUS_NAMES = (N_("waiting"), N_("queued"), N_("skipped"), N_("missing data"), N_("failed"))


@click.group("series")
def series() -> None:
    """Recurring publications from data: list them, run one day by hand."""


@series.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def series_list(obj: CliContext, as_json: bool) -> None:
    """Each series' next occurrence and last outcome (with its deliveries)."""
    from publisher.series.runner import SeriesRunner

    app = obj.app()
    rows = SeriesRunner(app).overview()
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(_("(no series configured)"))
    for r in rows:
        nxt = (_("next {when}").format(when=f"{r['next_occurrence']:%Y-%m-%d %H:%M %Z}") if r["next_occurrence"]
               else _("disabled"))
        click.echo(f"{r['series']}  [{r['category']}]  {r['schedule']}  {nxt}")
        for label, o in ((_("last"), r["last"]), (_("last problem"), r["last_problem"])):
            if o is None or (o is r["last_problem"] and o == r["last"]):
                continue
            line = f"  {label}: {o['occurrence_key']} {_(o['status'].replace('_', ' '))}"
            if o["item_id"] is not None:
                line += "  " + _("item {id}").format(id=o["item_id"]) + "  " + " ".join(
                    f"{d['channel']}:{_(d['status'])}" for d in o["deliveries"])
            if o["status"] == OccurrenceStatus.WAITING and o["next_try_at"]:
                line += "  " + _("next try {when}").format(when=f"{o['next_try_at']:%Y-%m-%d %H:%M}")
            if o["last_error"]:
                line += f"  ({shown(o['last_error'])})"
            click.echo(line)
        if r["counts"]:
            click.echo("  " + _("occurrences: {counts}").format(
                counts=", ".join(f"{_(k.replace('_', ' '))} {v}" for k, v in sorted(r["counts"].items()))))


@series.command("run")
@click.argument("name")
@click.option("--date", "day", required=True, metavar="YYYY-MM-DD", help="the day to publish (office time zone)")
@click.option("--dry-run", is_flag=True, help="render and print it; write nothing")
@click.option("--replace", is_flag=True, help="retract what was issued for that day before (a corrected result)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def series_run(obj: CliContext, name: str, day: str, dry_run: bool, replace: bool, as_json: bool) -> None:
    """Create one occurrence by hand now (a later run of the same day is a re-issue, KEY#2)."""
    from datetime import date as _date

    from publisher.foundation.clock import SystemClock
    from publisher.series.errors import SeriesError
    from publisher.series.runner import SeriesRunner, find_series, render_manual

    try:
        on = _date.fromisoformat(day.strip())
    except ValueError:
        raise InputError(_("{value!r} is not a date: use YYYY-MM-DD").format(value=day), field="--date") from None
    try:
        if dry_run:
            cfg = obj.config()
            find_series(cfg, name)
            clock = obj.opened_app.clock if obj.opened_app else SystemClock()
            r = render_manual(cfg, name, on, clock.now())
            if as_json:
                echo_json({"series": r.series, "occurrence_key": r.occurrence_key, "scheduled_at": r.scheduled_at,
                           "title": r.title, "body_html": r.body_html, "dry_run": True})
            else:
                click.echo(f"{r.title}\n\n{r.body_html}")
            return
        app = obj.app()
        runner = SeriesRunner(app)
        issued = runner.issue(name, on, replace=replace)
    except SeriesError as exc:
        click.echo(_("error: {message}").format(message=scrub(shown(str(exc)))), err=True)
        sys.exit(EXIT_FAILED)
    replaced = list(issued.replaced)
    if as_json:
        echo_json({"series": issued.series, "occurrence_key": issued.occurrence_key,
                   "scheduled_at": issued.scheduled_at, "item_id": issued.item_id, "replaced": replaced})
    else:
        click.echo(issued.item_id)
        if replaced:
            click.echo(_("retracted the earlier item(s) of that day: {ids}").format(ids=", ".join(map(str, replaced))),
                       err=True)


@series.command("approve")
@click.argument("name")
@click.option("--comment", default="")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def series_approve(obj, name: str, comment: str, as_json: bool) -> None:
    """Approve a series' template once for all its occurrences (a standing approval; an approver does it)."""
    from publisher.review.standing import grant

    row = grant(obj.app(), obj.actor(), name, comment=comment)
    if as_json:
        echo_json({"series": name, "granted_by": row["granted_by"], "granted_at": row["granted_at"]})
    else:
        click.echo(_("{name}: standing approval by {user}; it lapses when the template changes").format(
            name=name, user=row["granted_by"]))


@series.command("revoke")
@click.argument("name")
@click.option("--reason", required=True)
@click.pass_obj
def series_revoke(obj, name: str, reason: str) -> None:
    """Withdraw a series' standing approval: its occurrences go through review again."""
    from publisher.review.standing import revoke

    revoke(obj.app(), obj.actor(), name, reason=reason)
    click.echo(_("{name}: standing approval revoked").format(name=name))
