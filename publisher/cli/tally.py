"""``publisher tally``: published items per channel and category in a year."""

from __future__ import annotations

import click

from publisher.cli.context import CliContext
from publisher.cli.helpers import echo_json, ranges
from publisher.cli.types import YEAR
from publisher.foundation.i18n import _


@click.command("tally")
@click.option("--year", type=YEAR, required=True)
@click.option("--items", "with_items", is_flag=True, help="list the item ids behind every number")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def tally_cmd(obj: CliContext, year: int, with_items: bool, as_json: bool) -> None:
    """Published items per channel and category in YEAR (office time zone)."""
    from publisher.db.engine import SchemaPolicy
    from publisher.report.tally import tally

    app = obj.app(SchemaPolicy.READ)
    t = tally(app.store, app.config, year, with_items=with_items)
    if as_json:
        echo_json(t)
        return
    click.echo(_("{year} ({timezone}): {publications} publications on reported channels, {distinct} distinct items")
               .format(year=year, timezone=t["timezone"], publications=t["publications"], distinct=t["distinct_items"]))
    for ch in t["channels"]:
        flag = "" if ch["count_in_report"] else "  " + _("(not counted in the report)")
        click.echo(f"  {ch['display_name']} [{ch['channel']}]: {ch['total']}{flag}"
                   + (_(", {count} retracted").format(count=ch["retracted"]) if ch["retracted"] else ""))
        for cat, n in ch["by_category"].items():
            ids = ch.get("items", {}).get(cat)
            click.echo(f"      {cat}: {n}" + ("  " + _("items {ranges}").format(ranges=ranges(ids)) if ids else ""))
