"""``publisher report``: the annual report (政府信息公开工作年度报告): show, check, explain, freeze, diff, queue.

Exit codes: 0 ok; 1 ``--check`` found a problem; 2 bad input (field named); 3 refused by a rule (rule named).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from publisher.cli.helpers import echo_json, ranges
from publisher.cli.types import YEAR
from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.foundation.private_files import write_private

EXIT_CHECK_FAILED = 1


@click.command("report")
@click.option("--year", type=YEAR, required=True)
@click.option("--template", type=click.Choice(["2019", "2021"]), help="default: 2019 up to report year 2020, else 2021")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "pdf", "docx", "json", "csv"]),
              help="default: from the -o file's extension, else md")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write to FILE (pdf and docx need it)")
@click.option("--check", is_flag=True, help="list the checks and warnings; exit 1 if any check fails")
@click.option("--explain", is_flag=True, help="where every number comes from")
@click.option("--freeze", is_flag=True, help="store the figures as filed (once per year)")
@click.option("--reason", default=None, help="with --freeze on a frozen year: file a corrected revision, and why")
@click.option("--diff", is_flag=True, help="what changed in the ledger since the report was frozen, cell by cell")
@click.option("--queue", "queue_it", is_flag=True,
              help="queue the report itself (HTML body, PDF attached) for review and publication before 31 January")
@click.pass_obj
def report(obj, year: int, template: str | None, fmt: str | None, output: str | None, check: bool, explain: bool,
           freeze: bool, reason: str | None, diff: bool, queue_it: bool) -> None:
    """The annual report for YEAR (政府信息公开工作年度报告): six sections, three tables, in the official format."""
    from publisher.db.engine import SchemaPolicy
    from publisher.report import freeze as freezing
    from publisher.report.build import build_report
    from publisher.report.render import APPENDIX_FORMATS, SUFFIXES
    from publisher.report.served import as_served

    fmt = _format(fmt, output, SUFFIXES)
    app = obj.app(None if (freeze or queue_it) else SchemaPolicy.READ)  # a report alone never writes
    live = build_report(app.store, app.config, year, template=template, appendix=freeze)  # JSON, CSV: streamed
    filed = freezing.frozen(app.store, year)
    if diff:
        _print_diff(year, filed, live, fmt)
        return
    if check:
        _print_checks(live)
        failed = [c for c in live["checks"] if not c["ok"]]
        sys.exit(EXIT_CHECK_FAILED if failed else 0)
    if explain:
        _print_explain(live)
        return
    if freeze:
        _freeze(app, year, live, reason)
        return
    live = as_served(app.store, year, live)
    if queue_it:
        item_id, when = _queue_report(app, obj.actor(), live, year)
        for w in live["warnings"]:  # the office's notes: here, never in the queued article
            click.echo(_("warning: {warning}").format(warning=w), err=True)
        click.echo(item_id)
        click.echo(_("queued the {year} report for {when:%Y-%m-%d %H:%M} (office time); it goes through review: "
                     "`publisher review submit {item_id}`").format(year=year, when=when, item_id=item_id), err=True)
        return
    if fmt in APPENDIX_FORMATS and "appendix" not in live:
        _stream(app, year, live, fmt, output)
    else:
        _write(live, fmt, output)


def _stream(app, year: int, live: dict, fmt: str, output: str | None) -> None:
    """The JSON report or the CSV appendix with the publications streamed from the ledger to -o FILE (whole or
    not at all: written beside it, then renamed) or standard output."""
    from publisher.report.ledger import iter_publications
    from publisher.report.render import appendix_chunks

    rows = iter_publications(app.store, app.config, year)
    chunks = appendix_chunks(live, rows, fmt)
    if output:
        _write_streamed(Path(output), chunks)
        click.echo(_("wrote {output}").format(output=output))
    else:
        out = sys.stdout
        for chunk in chunks:
            out.write(chunk)
        out.flush()
    for w in live["warnings"]:
        click.echo(_("warning: {warning}").format(warning=w), err=True)


def _write_streamed(path: Path, chunks) -> None:
    """Write ``chunks`` to a 0600 file next to ``path`` and rename it there once complete."""
    import os

    from publisher.foundation.private_files import private_file

    part = path.with_name(path.name + ".part")
    try:
        private_file(part)
        with open(part, "w", encoding="utf-8", newline="") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise InputError(_("cannot write {output}: {strerror}").format(
                             output=str(path), strerror=exc.strerror), field="--output") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _print_diff(year: int, filed: dict | None, live: dict, fmt: str) -> None:
    """What changed in the ledger since the report was frozen (InputError when it never was)."""
    from publisher.report import freeze as freezing

    if filed is None:
        raise InputError(_("the {year} report is not frozen (use --freeze first)").format(
                             year=year), field="--diff")
    changes = freezing.diff(filed, live)
    if fmt == "json":
        echo_json({"year": year, "frozen_at": filed["frozen_at"], "changes": changes})
    else:
        click.echo(_("{year} report frozen at {frozen_at}: {count} cell(s) changed since").format(
                       year=year, frozen_at=filed['frozen_at'], count=len(changes)))
        for c in changes:
            click.echo(f"  {c['cell']}: {c['frozen']} → {c['now']}")


def _freeze(app, year: int, live: dict, reason: str | None) -> None:
    """Store the figures as filed; a broken rule or an earlier freeze (without --reason) is Refused (exit 3)."""
    from publisher.report import freeze as freezing
    from publisher.report.checks import refuse_if_broken

    refuse_if_broken(live["checks"])
    if reason is not None:
        if not reason.strip():
            raise InputError(_("say why the report is filed again"), field="--reason")
        actor = app.current_actor()
        number = freezing.refreeze(app.store, live, actor.name, reason.strip(), actor.office)
        click.echo(_("filed revision {number} of the {year} report").format(number=number, year=year))
        return
    freezing.freeze(app.store, live, app.current_actor().name)
    click.echo(_("froze the {year} report ({count} figures)").format(
                   year=year, count=len(freezing.figures(live))))


def _write(live: dict, fmt: str, output: str | None) -> None:
    """Render the report to -o FILE or standard output, then its warnings on standard error."""
    from publisher.report.render import BINARY, render

    if fmt in BINARY and not output:
        raise InputError(_("{fmt} is binary: give -o FILE").format(fmt=fmt), field="--output")
    data = render(live, fmt)
    if output:
        try:
            write_private(Path(output), data)
        except OSError as exc:
            raise InputError(_("cannot write {output}: {strerror}").format(
                                 output=output, strerror=exc.strerror), field="--output") from None
        click.echo(_("wrote {output}").format(output=output))
    else:
        click.echo(data.decode("utf-8"), nl=False)
    for w in live["warnings"]:
        click.echo(_("warning: {warning}").format(warning=w), err=True)


def _queue_report(app, actor, live: dict, year: int):
    """Queue the report as an item: its HTML as the body, its PDF attached, before 31 January of the next year."""
    import tempfile
    from datetime import datetime, timedelta

    from bs4 import BeautifulSoup

    from publisher.items.intake import ItemRequest, queue_one
    from publisher.report.render import render
    from publisher.report.settings import report_settings

    settings, _folder = report_settings(app.config)
    category = settings.queue_category
    if category not in app.config.categories:
        raise InputError(_("{category!r} is not one of the configured categories").format(
                             category=category), field="report.queue_category")
    tz = app.config.tz
    deadline = datetime(year + 1, 1, 30, 9, 0, tzinfo=tz)  # the law asks for it by 31 January
    now = app.clock.now().astimezone(tz)
    when = deadline if now < deadline - timedelta(days=1) else now
    page = BeautifulSoup(render(live, "html").decode("utf-8"), "html.parser")
    body = page.body.decode_contents() if page.body else str(page)
    with tempfile.TemporaryDirectory(prefix="publisher-report-") as tmp:
        pdf = Path(tmp) / f"{year}年政府信息公开工作年度报告.pdf"
        pdf.write_bytes(render(live, "pdf"))
        item_id = queue_one(app, ItemRequest(title=live["title"], category=category, body=body, attach=[str(pdf)],
                                             at=when.isoformat(), key=f"annual-report-{year}"), actor=actor)
    return item_id, when


def _format(fmt: str | None, output: str | None, suffixes: dict[str, str]) -> str:
    """The format from --format and -o's extension, which must agree."""
    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    implied = suffixes.get(suffix)
    if fmt and output and implied != fmt:
        raise InputError(_("--format {fmt} does not match the extension of -o {output} (use a .{fmt} file or "
                           "--format {implied})").format(
                             fmt=fmt, output=output, implied=implied or '…'), field="--format/--output")
    return fmt or implied or "md"


def _print_checks(report) -> None:
    for c in report["checks"]:
        click.echo(f"{_('ok  ') if c['ok'] else _('FAIL')} {c['rule']}: {c['detail']}")
    for w in report["warnings"]:
        click.echo(_("warn {warning}").format(warning=w))


def _print_explain(report) -> None:
    click.echo(_("{title} ({template} format)").format(title=report['title'], template=report['template']))
    for ch in report["tally"]["channels"]:
        if not ch["count_in_report"]:
            continue
        click.echo(_("一 {display_name}: {total} = ledger deliveries published in {year}").format(
                       display_name=ch['display_name'], total=ch['total'], year=report['year']))
        for cat, ids in ch["items"].items():
            click.echo(_("    {cat} {count}: items {ranges}").format(cat=cat, count=len(ids), ranges=ranges(ids)))
    for block in report["tables"]["二"]["blocks"]:
        for r in block["rows"]:
            for c, src in r["sources"].items():
                where = {"ledger": lambda s: f"ledger, categories {'、'.join(s['categories'])}, items {ranges(s['items']) or '-'}",
                         "data_file": lambda s: "office data file", "unfilled": lambda s: "no source (0)"}[src["from"]](src)
                click.echo(f"二 {r['label']}·{c} = {r['values'][c]}: {where}")
    for name in ("三", "四"):
        table = report["tables"][name]
        click.echo(_("{name} from the {source}").format(name=name, source=table['source'].replace('_', ' ')))
        for r in table["rows"]:
            for col, ids in r.get("sources", {}).items():
                register = _("applications") if name == "三" else _("appeals")
                click.echo(f"{name} {r['label']}·{col} = {len(ids)}: {register} {ranges(ids)}")
    from publisher.cli.tally import repost_lines

    repost_lines(report.get("reposts", []))
