"""``publisher catalogue``: the office's disclosure catalogue (政府信息公开目录) for a year, as a file."""

from __future__ import annotations

import sys

import click

from publisher.cli.context import CliContext
from publisher.cli.types import YEAR
from publisher.foundation.i18n import _
from publisher.foundation.private_files import create_private


@click.command("catalogue")
@click.option("--year", type=YEAR, help="the year of first publication (default: this year)")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="where to write it (default: standard output; an Excel file needs FILE)")
@click.pass_obj
def catalogue_cmd(obj: CliContext, year: int | None, fmt: str, output: str | None) -> None:
    """Export the disclosure catalogue: every record first published in the year, with its 索引号 and 文号."""
    from publisher.db.engine import SchemaPolicy
    from publisher.errors import InputError
    from publisher.report.catalogue import catalogue_rows, this_year, write_catalogue

    app = obj.app(SchemaPolicy.READ)
    year = year or this_year(app.config, app.clock.now())
    if fmt == "xlsx" and not output:
        raise InputError(_("an Excel file cannot go to the terminal: give -o FILE"), field="--output")
    rows = catalogue_rows(app.store, app.config, year)
    if output is None:
        write_catalogue(rows, fmt, sys.stdout.buffer)
        return
    try:
        out = create_private(output)  # 0600, and never overwrite an earlier export by accident
    except FileExistsError:
        raise InputError(_("{path} exists already: give a new file name").format(path=output), field="--output") from None
    except OSError as exc:
        raise InputError(_("cannot write {path}: {reason}").format(path=output, reason=exc.strerror),
                         field="--output") from None
    with out:
        count = write_catalogue(rows, fmt, out)
    click.echo(_("{count} records of {year} written to {path}").format(count=count, year=year, path=output), err=True)
