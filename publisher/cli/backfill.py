"""``publisher backfill FILE``: record publications made before publisher, for the tally and the report."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.helpers import echo_json
from publisher.foundation.i18n import _


@click.command("backfill")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def backfill(obj, file: Path, as_json: bool) -> None:
    """Record publications made before publisher (CSV/JSON Lines: channel, title, category, published_at, url).

    They count in the tally and the report, are marked imported in the appendix, and are never sent to a channel.
    """
    from publisher.report.backfill import backfill_file

    ids = backfill_file(obj.app(), file)
    if as_json:
        echo_json({"ids": ids})
    else:
        click.echo(_("recorded {count} earlier publication(s) as items {first}-{last}").format(
            count=len(ids), first=ids[0], last=ids[-1]) if ids else _("nothing to record"))
