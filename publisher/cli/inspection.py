"""``publisher corrections`` (the tasks a re-scan opened) and ``publisher links`` (broken and external links)."""

from __future__ import annotations

import sys

import click

from publisher.cli.context import CliContext
from publisher.cli.helpers import EXIT_FAILED, echo_json, local_time
from publisher.cli.types import ITEM_ID, YEAR
from publisher.errors import InputError
from publisher.foundation.i18n import _, shown
from publisher.foundation.labels import label


def print_corrections(app, rows: list[dict]) -> None:
    """Correction tasks as text: id, item, field and place, the excerpt, the suggestion, how the fix goes out."""
    from publisher.items.checking import shown_field

    for row in rows:
        remedies = "、".join(_("{channel}: update in place").format(channel=r["channel"]) if r["remedy"] == "update"
                            else _("{channel}: retract and queue again").format(channel=r["channel"])
                            for r in row["remedies"])
        click.echo(f"#{row['id']} [{label('correction', row['status'])}] " + _("item {id} {title}").format(
            id=row["item_id"], title=row["title"]) + f" · {shown_field(row['field'])} ({shown(row['where'])}): "
            f"{row['text']}" + (f" → {shown(row['suggestion'])}" if row["suggestion"] else "")
            + (f" · {remedies}" if remedies else "")
            + (f" · {local_time(app, row['closed_at'])} {row['closed_by']}: {shown(row['reason'])}"
               if row["reason"] else ""))


@click.group("corrections")
def corrections() -> None:
    """Correction tasks opened by a re-scan of published items (check --published)."""


@corrections.command("list")
@click.option("--status", type=click.Choice(["open", "corrected", "dismissed", "all"]), default="open",
              show_default=True)
@click.option("--item", "item_id", type=ITEM_ID, default=None, help="only this item's")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_cmd(obj: CliContext, status: str, item_id: int | None, as_json: bool) -> None:
    """The office's correction tasks (open ones by default)."""
    from publisher.inspection.corrections import listing

    app = obj.app()
    rows = listing(app, obj.actor(), status=None if status == "all" else status, item_id=item_id)
    if as_json:
        echo_json(rows)
    elif rows:
        print_corrections(app, rows)
    else:
        click.echo(_("no corrections"))


@corrections.command("dismiss")
@click.argument("correction_id", type=ITEM_ID)
@click.option("--reason", required=True, help="why the finding needs no correction (recorded in the audit)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def dismiss_cmd(obj: CliContext, correction_id: int, reason: str, as_json: bool) -> None:
    """Dismiss a correction task with a reason (an approver or an admin)."""
    from publisher.inspection.corrections import dismiss

    app = obj.app()
    row = dismiss(app, obj.actor(), correction_id, reason)
    if as_json:
        echo_json(row)
    else:
        print_corrections(app, [row])


@click.command("links")
@click.option("--year", type=YEAR, default=None, help="only what was published in this year")
@click.option("--channel", default=None, help="only this channel")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def links_cmd(obj: CliContext, year: int | None, channel: str | None, as_json: bool) -> None:
    """Check every link and image in what was published; exit 1 when one is broken."""
    from publisher.inspection.links import check_links

    app = obj.app()
    if channel and channel not in app.config.channels:
        raise InputError(_("{name!r} is not configured").format(name=channel), field="channel")
    actor = obj.actor()
    report = check_links(app, actor.office, actor=actor.name, year=year, channel=channel)
    if as_json:
        echo_json(report)
    else:
        _print_links(report)
    sys.exit(EXIT_FAILED if report["broken"] else 0)


def _print_links(report: dict) -> None:
    click.echo(_("{links} link(s) and image(s) in published items, {checked} address(es) checked, {skipped} skipped "
                 "(private), {broken} broken, {external} external").format(
        links=report["links"], checked=report["checked"], skipped=report["skipped"], broken=len(report["broken"]),
        external=len(report["external"])))
    for entry in report["broken"]:
        click.echo(_("broken     item {id} {title} on {channel}: {url} ({problem})").format(
            id=entry["item_id"], title=entry["title"], channel=entry["channel"], url=entry["url"],
            problem=shown(entry["problem"])))
    for entry in report["external"]:
        click.echo(_("external   item {id} {title} on {channel}: {url}").format(
            id=entry["item_id"], title=entry["title"], channel=entry["channel"], url=entry["url"]))
    for entry in report["redirected"]:
        click.echo(_("redirected item {id} on {channel}: {url} → {to}").format(
            id=entry["item_id"], channel=entry["channel"], url=entry["url"], to=entry["redirected_to"]))
