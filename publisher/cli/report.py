"""CLI for the annual report and its registers: ``report``, ``applications``, ``appeals``, ``backfill``.

Exit codes: 0 ok; 1 ``--check`` found a problem; 2 bad input (field named); 3 refused by a rule (rule named).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from publisher.errors import InputError
from publisher.foundation.i18n import _

EXIT_CHECK_FAILED = 1
YEAR = click.IntRange(1900, 9998)


def _echo_json(data) -> None:
    from publisher.cli.main import _echo_json as echo

    echo(data)


# -- report ---------------------------------------------------------------------------------------
@click.command("report")
@click.option("--year", type=YEAR, required=True)
@click.option("--template", type=click.Choice(["2019", "2021"]), help="default: 2019 up to report year 2020, else 2021")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "pdf", "docx", "json", "csv"]),
              help="default: from the -o file's extension, else md")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write to FILE (pdf and docx need it)")
@click.option("--check", is_flag=True, help="list the checks and warnings; exit 1 if any check fails")
@click.option("--explain", is_flag=True, help="where every number comes from")
@click.option("--freeze", is_flag=True, help="store the figures as filed (once per year)")
@click.option("--diff", is_flag=True, help="what changed in the ledger since the report was frozen, cell by cell")
@click.option("--queue", "queue_it", is_flag=True,
              help="queue the report itself (HTML body, PDF attached) for review and publication before 31 January")
@click.pass_obj
def report(obj, year: int, template: str | None, fmt: str | None, output: str | None, check: bool, explain: bool,
           freeze: bool, diff: bool, queue_it: bool) -> None:
    """The annual report for YEAR (政府信息公开工作年度报告): six sections, three tables, in the official format."""
    from publisher.report import freeze as freezing
    from publisher.report.build import build_report
    from publisher.report.checks import refuse_if_broken
    from publisher.report.render import APPENDIX_FORMATS, BINARY, SUFFIXES, render

    from publisher.db.engine import SchemaPolicy

    fmt = _format(fmt, output, SUFFIXES)
    app = obj.app(None if (freeze or queue_it) else SchemaPolicy.READ)  # a report alone never writes
    live = build_report(app.store, app.config, year, template=template,
                        appendix=freeze or (fmt in APPENDIX_FORMATS and not (diff or check or explain or queue_it)))
    filed = freezing.frozen(app.store, year)
    if diff:
        if filed is None:
            raise InputError(_("the {year} report is not frozen (use --freeze first)").format(
                                 year=year), field="--diff")
        changes = freezing.diff(filed, live)
        if fmt == "json":
            _echo_json({"year": year, "frozen_at": filed["frozen_at"], "changes": changes})
        else:
            click.echo(_("{year} report frozen at {frozen_at}: {count} cell(s) changed since").format(
                           year=year, frozen_at=filed['frozen_at'], count=len(changes)))
            for c in changes:
                click.echo(f"  {c['cell']}: {c['frozen']} → {c['now']}")
        return
    if check:
        _print_checks(live)
        failed = [c for c in live["checks"] if not c["ok"]]
        sys.exit(EXIT_CHECK_FAILED if failed else 0)
    if explain:
        _print_explain(live)
        return
    if freeze:
        refuse_if_broken(live["checks"])  # a broken rule or an earlier freeze: Refused, exit 3
        freezing.freeze(app.store, live, app.current_actor().name)
        click.echo(_("froze the {year} report ({count} figures)").format(
                       year=year, count=len(freezing.figures(live))))
        return
    if filed is not None:
        changes = freezing.diff(filed, live)
        shown = {k: v for k, v in filed.items() if k not in ("frozen_at", "frozen_by")}
        if changes:
            shown["warnings"] = shown["warnings"] + [
                f"本报告已于{filed['frozen_at'][:10]}冻结（按报送时的数字呈现）；此后台账有{len(changes)}处变化，"
                f"见 publisher report --year {year} --diff"]
        shown["frozen_at"] = filed["frozen_at"]
        live = shown
    else:
        refuse_if_broken(live["checks"])
    if queue_it:
        item_id, when = _queue_report(app, obj.actor(), live, year)
        click.echo(item_id)
        click.echo(_("queued the {year} report for {when:%Y-%m-%d %H:%M} (office time); it goes through review: "
                     "`publisher review submit {item_id}`").format(year=year, when=when, item_id=item_id), err=True)
        return
    if fmt in BINARY and not output:
        raise InputError(_("{fmt} is binary: give -o FILE").format(fmt=fmt), field="--output")
    data = render(live, fmt)
    if output:
        try:
            Path(output).write_bytes(data)
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
    from publisher.cli.main import _ranges

    click.echo(_("{title} ({template} format)").format(title=report['title'], template=report['template']))
    for ch in report["tally"]["channels"]:
        if not ch["count_in_report"]:
            continue
        click.echo(_("一 {display_name}: {total} = ledger deliveries published in {year}").format(
                       display_name=ch['display_name'], total=ch['total'], year=report['year']))
        for cat, ids in ch["items"].items():
            click.echo(_("    {cat} {count}: items {ranges}").format(cat=cat, count=len(ids), ranges=_ranges(ids)))
    for block in report["tables"]["二"]["blocks"]:
        for r in block["rows"]:
            for c, src in r["sources"].items():
                where = {"ledger": lambda s: f"ledger, categories {'、'.join(s['categories'])}, items {_ranges(s['items']) or '-'}",
                         "data_file": lambda s: "office data file", "unfilled": lambda s: "no source (0)"}[src["from"]](src)
                click.echo(f"二 {r['label']}·{c} = {r['values'][c]}: {where}")
    for name in ("三", "四"):
        table = report["tables"][name]
        click.echo(_("{name} from the {source}").format(name=name, source=table['source'].replace('_', ' ')))
        for r in table["rows"]:
            for col, ids in r.get("sources", {}).items():
                register = _("applications") if name == "三" else _("appeals")
                click.echo(f"{name} {r['label']}·{col} = {len(ids)}: {register} {_ranges(ids)}")


# -- applications ---------------------------------------------------------------------------------
@click.group("applications")
def applications() -> None:
    """The register of disclosure applications (依申请公开) behind Table 三."""


@applications.command("add")
@click.option("--received", "received_on", required=True, metavar="YYYY-MM-DD")
@click.option("--applicant", "applicant_type", required=True, help="自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构 or 其他")
@click.option("--subject", default="")
@click.option("--reference", default="")
@click.option("--outcome", help="when already answered: a row of Table 三 (予以公开, 3.4, …)")
@click.option("--closed", "closed_on", metavar="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def applications_add(obj, as_json: bool, **fields) -> None:
    """Record one application; prints its id and answer deadline."""
    from publisher.report.registers.applications import ApplicationRegister, parse_application

    application = parse_application({k: v for k, v in fields.items() if v is not None})
    app = obj.app()
    register = ApplicationRegister(app.store)
    new = register.get(register.add(application, getattr(app, "actor", "") or ""))
    if as_json:
        _echo_json(new.as_dict())
    else:
        click.echo(_("{id}  due {due_on}").format(id=new.id, due_on=new.due_on))


@applications.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def applications_import(obj, file: Path, as_json: bool) -> None:
    """Record applications from CSV or JSON Lines (received_on, applicant_type, outcome, closed_on, …); all or none."""
    from publisher.report.registers.applications import ApplicationRegister, read_applications

    batch = read_applications(file)
    app = obj.app()
    ids = ApplicationRegister(app.store).add_many(batch, getattr(app, "actor", "") or "")
    if as_json:
        _echo_json({"ids": ids})
    else:
        click.echo(_("recorded {count} application(s)").format(count=len(ids)))


@applications.command("close")
@click.argument("app_id", type=int)
@click.option("--outcome", required=True, help="a row of Table 三: 予以公开, 部分公开, 3.4, 保护第三方合法权益, 6.1, …")
@click.option("--date", "closed_on", metavar="YYYY-MM-DD", help="default: today (office time)")
@click.pass_obj
def applications_close(obj, app_id: int, outcome: str, closed_on: str | None) -> None:
    """Record the answer to an application."""
    from publisher.report.registers.applications import ApplicationRegister

    app = obj.app()
    day = _day(closed_on, "--date") or app.store.clock.now().astimezone(app.config.tz).date()
    closed = ApplicationRegister(app.store).close(app_id, outcome, day)
    late = _(" (late: due {due_on})").format(due_on=closed.due_on) if closed.late(day) else ""
    click.echo(_("{app_id} closed {closed_on} as {outcome}{late}").format(
                   app_id=app_id, closed_on=closed.closed_on, outcome=closed.outcome, late=late))


@applications.command("extend")
@click.argument("app_id", type=int)
@click.pass_obj
def applications_extend(obj, app_id: int) -> None:
    """Use the one extension of 20 working days (Art. 33)."""
    from publisher.report.registers.applications import ApplicationRegister

    extended = ApplicationRegister(obj.app().store).extend(app_id)
    click.echo(_("{app_id} due {due_on}").format(app_id=app_id, due_on=extended.due_on))


@applications.command("list")
@click.option("--due", "due_within", type=int, is_flag=False, flag_value=5, default=None,
              help="only open ones due within N working days (default 5) or already late")
@click.option("--year", type=YEAR, help="only those received in YEAR")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def applications_list(obj, due_within: int | None, year: int | None, as_json: bool) -> None:
    """The register, with each application's deadline in China's working days."""
    from publisher.report.registers.applications import ApplicationRegister

    app = obj.app()
    today = app.store.clock.now().astimezone(app.config.tz).date()
    rows = [a.as_dict(today) for a in ApplicationRegister(app.store).all()
            if (year is None or a.received_on.year == year)]
    if due_within is not None:
        rows = [r for r in rows if r["closed_on"] is None and r["working_days_left"] <= due_within]
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        state = (_("closed {closed_on} {outcome}").format(closed_on=r["closed_on"], outcome=r["outcome"])
                 if r["closed_on"]
                 else _("open, {days} working day(s) left").format(days=r["working_days_left"])
                 if r["working_days_left"] >= 0
                 else _("LATE by {days} working day(s)").format(days=-r["working_days_left"]))
        click.echo(f"{r['id']:>4}  " + _("received {received_on}  {applicant_type}  due {due_on}  {state}").format(
            received_on=r["received_on"], applicant_type=r["applicant_type"], due_on=r["due_on"], state=state)
                   + (f"  {r['subject']}" if r["subject"] else ""))
    if not rows:
        click.echo(_("(none)"))


def _day(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(_("{text!r} is not a date: use YYYY-MM-DD").format(text=text), field=field) from None


# -- appeals --------------------------------------------------------------------------------------
@click.group("appeals")
def appeals() -> None:
    """The register of administrative reviews and lawsuits (行政复议 / 行政诉讼) behind Table 四."""


@appeals.command("add")
@click.option("--kind", required=True, help="行政复议, 未经复议直接起诉 or 复议后起诉")
@click.option("--filed", "filed_on", required=True, metavar="YYYY-MM-DD")
@click.option("--result", help="结果维持, 结果纠正 or 其他结果 (omit while 尚未审结)")
@click.option("--decided", "decided_on", metavar="YYYY-MM-DD")
@click.option("--reference", default="")
@click.pass_obj
def appeals_add(obj, **fields) -> None:
    """Record one review or lawsuit."""
    from publisher.report.registers.appeals import AppealRegister, parse_appeal

    appeal = parse_appeal({k: v for k, v in fields.items() if v is not None})
    click.echo(AppealRegister(obj.app().store).add_many([appeal])[0])


@appeals.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def appeals_import(obj, file: Path) -> None:
    """Record appeals from CSV or JSON Lines (kind, filed_on, result, decided_on, reference); all or none."""
    from publisher.report.registers.appeals import AppealRegister, read_appeals

    ids = AppealRegister(obj.app().store).add_many(read_appeals(file))
    click.echo(_("recorded {count} appeal(s)").format(count=len(ids)))


@appeals.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def appeals_list(obj, as_json: bool) -> None:
    """Every review and lawsuit."""
    from publisher.report.registers.appeals import AppealRegister

    rows = [a.as_dict() for a in AppealRegister(obj.app().store).all()]
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:>4}  {r['kind']}  " + _("filed {filed_on}").format(filed_on=r["filed_on"]) + "  "
                   + (f"{r['result']} {r['decided_on']}" if r["result"] else "尚未审结"))
    if not rows:
        click.echo(_("(none)"))


# -- backfill -------------------------------------------------------------------------------------
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
        _echo_json({"ids": ids})
    else:
        click.echo(_("recorded {count} earlier publication(s) as items {first}-{last}").format(
            count=len(ids), first=ids[0], last=ids[-1]) if ids else _("nothing to record"))
