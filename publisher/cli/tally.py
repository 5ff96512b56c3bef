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
    from publisher.report.records import records_summary
    from publisher.report.tally import tally
    from publisher.reposts.rates import year_rates

    app = obj.app(SchemaPolicy.READ)
    t = tally(app.store, app.config, year, with_items=with_items)
    today = app.clock.now().astimezone(app.config.tz).date()
    t |= records_summary(app.store, app.config, year, today)
    t["reposts"] = year_rates(app.store.engine, app.config, app.config.office.code, year, today)
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
    _records_lines(t)
    repost_lines(t["reposts"])


def repost_lines(rows: list[dict]) -> None:
    """转载率 per account and quarter (carried on time / required)."""
    from publisher.reposts.rates import percent

    for r in rows:
        click.echo("  " + _("reposts Q{quarter} {name}: {on_time}/{required} carried on time ({rate})").format(
            quarter=r["quarter"], name=r["display_name"], on_time=r["on_time"], required=r["required"],
            rate=percent(r["rate"])))


def _records_lines(t: dict) -> None:
    j = t["interpretations"]
    if j["policies"]:
        forms = "、".join(f"{form} {n}" for form, n in j["forms"].items()) or "—"
        click.echo(_("policies: {policies}, with a 解读: {paired} ({ratio:.0%}); forms: {forms}").format(
            policies=j["policies"], paired=j["with_interpretation"], ratio=j["ratio"], forms=forms))
    for p in j["without"]:
        click.echo("  " + _("no 解读 yet: #{id} {title}").format(**p))
    for r in j["late"]:
        click.echo("  " + _("解读 #{id} later than 3 working days after its policy (due {due})").format(**r))
    for r in t["late_publications"]:
        click.echo("  " + _("#{id} published {workdays} working days after it was written").format(**r))
