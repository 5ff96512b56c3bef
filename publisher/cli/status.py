"""``publisher status [--json]``: the operator's first look (daemons, backlog, review, series, backup, size)."""

from __future__ import annotations

import click

from publisher.cli.helpers import echo_json, local_time
from publisher.foundation.i18n import _


@click.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status_cmd(obj, as_json: bool) -> None:
    """Daemons and their heartbeat, due backlog, paused and dead deliveries, review, series, last backup."""
    from publisher.ops.status import collect

    app = obj.app()
    data = collect(app)
    if as_json:
        echo_json(data)
        return
    click.echo(_("publisher {version}, database {url} ({size})").format(
        version=data["version"], url=data["database"]["url"], size=_size(data["database"]["size_bytes"])))
    _print_daemons(app, data["daemons"])
    click.echo(_("due now: {due}; in doubt: {in_doubt}; dead (need `item retry`): {dead}").format(**data))
    for p in data["paused_channels"]:
        click.echo(_("channel {channel} paused since {since}: {reason}").format(
            channel=p["channel"], since=local_time(app, p["since"]), reason=p["reason"]))
    click.echo(_("items waiting for review: {count}").format(count=data["waiting_for_review"]))
    for s in data["series"]:
        nxt = local_time(app, s["next_occurrence"]) if s["next_occurrence"] else _("disabled")
        click.echo(_("series {name}: next {next}, last {last}").format(
            name=s["series"], next=nxt, last=_(s["last"]) if s["last"] else "—"))
    backup = data["last_backup"]
    click.echo(_("last backup: {at} by {by}, {file}").format(at=local_time(app, backup["at"]), by=backup["by"],
                                                             file=backup["file"]) if backup
               else _("last backup: none yet (`publisher backup FILE`)"))


def _print_daemons(app, daemons: list[dict]) -> None:
    if not any(d["alive"] for d in daemons):
        click.echo(_("daemons: none running (`publisher run`, or the publisher-daemon service)"))
    for d in daemons:
        state = _("alive") if d["alive"] else _("stopped")
        click.echo(_("daemon {name}: {state} (heartbeat valid until {until})").format(
            name=d["daemon"], state=state, until=local_time(app, d["heartbeat_until"])))


def _size(size: int | None) -> str:
    if size is None:
        return "?"
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} KB"
