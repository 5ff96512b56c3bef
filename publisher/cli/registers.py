"""``publisher applications`` and ``publisher appeals``: the registers behind Tables 三 and 四 of the report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from publisher.cli.helpers import echo_json
from publisher.cli.types import YEAR
from publisher.foundation.i18n import _
from publisher.foundation.workdays import UNKNOWN_MARK


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
    _not_future(app, application.received_on, "received_on")
    _not_future(app, application.closed_on, "closed_on")
    register = ApplicationRegister(app.store, app.config.office.code)
    new = register.get(register.add(application, getattr(app, "actor", "") or ""))
    if as_json:
        echo_json(new.as_dict())
    else:
        click.echo(_("{id}  due {due_on}").format(id=new.id, due_on=_due(new)))


@applications.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def applications_import(obj, file: Path, as_json: bool) -> None:
    """Record applications from CSV or JSON Lines (received_on, applicant_type, outcome, closed_on, …); all or none."""
    from publisher.report.registers.applications import ApplicationRegister, read_applications

    batch = read_applications(file)
    app = obj.app()
    for n, a in enumerate(batch, 1):
        for field, day in (("received_on", a.received_on), ("closed_on", a.closed_on)):
            _not_future(app, day, f"{file.name} #{n} {field}")
    ids = ApplicationRegister(app.store, app.config.office.code).add_many(batch, getattr(app, "actor", "") or "")
    if as_json:
        echo_json({"ids": ids})
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
    day = _not_future(app, _day(closed_on, "--date"), "--date") or _today(app)
    closed = ApplicationRegister(app.store, app.config.office.code).close(app_id, outcome, day)
    late = _(" (late: due {due_on})").format(due_on=_due(closed)) if closed.late(day) else ""
    click.echo(_("{app_id} closed {closed_on} as {outcome}{late}").format(
                   app_id=app_id, closed_on=closed.closed_on, outcome=closed.outcome, late=late))


@applications.command("extend")
@click.argument("app_id", type=int)
@click.pass_obj
def applications_extend(obj, app_id: int) -> None:
    """Use the one extension of 20 working days (Art. 33)."""
    from publisher.report.registers.applications import ApplicationRegister

    app = obj.app()
    extended = ApplicationRegister(app.store, app.config.office.code).extend(app_id, _today(app))
    click.echo(_("{app_id} due {due_on}").format(app_id=app_id, due_on=_due(extended)))


@applications.command("pause")
@click.argument("app_id", type=int)
@click.option("--reason", required=True, type=click.Choice(["补正", "第三方", "收费"]),
              help="补正 (Art. 30: the clock restarts when the correction arrives), 第三方 (Art. 32) or 收费 (until paid)")
@click.option("--from", "from_on", required=True, metavar="YYYY-MM-DD")
@click.option("--to", "to_on", metavar="YYYY-MM-DD", help="when it ended (omit while it lasts; give it later to end it)")
@click.pass_obj
def applications_pause(obj, app_id: int, reason: str, from_on: str, to_on: str | None) -> None:
    """Stop an application's answer clock for a legal reason; prints the new deadline."""
    from publisher.report.registers.applications import ApplicationRegister

    app = obj.app()
    paused = ApplicationRegister(app.store, app.config.office.code).pause(
        app_id, reason, _day(from_on, "--from"), _day(to_on, "--to"), app.current_actor(), _today(app))
    click.echo(_("{app_id} due {due_on}").format(app_id=app_id, due_on=_due(paused)))


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
    rows = [a.as_dict(today) for a in ApplicationRegister(app.store, app.config.office.code).all()
            if (year is None or a.received_on.year == year)]
    if due_within is not None:
        rows = [r for r in rows if r["closed_on"] is None and r.get("working_days_left", due_within + 1) <= due_within]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        state = (_("closed {closed_on} {outcome}").format(closed_on=r["closed_on"], outcome=r["outcome"])
                 if r["closed_on"]
                 else _("paused") if r["due_on"] is None
                 else _("open, {days} working day(s) left").format(days=r["working_days_left"])
                 if r["working_days_left"] >= 0
                 else _("LATE by {days} working day(s)").format(days=-r["working_days_left"]))
        click.echo(f"{r['id']:>4}  " + _("received {received_on}  {applicant_type}  due {due_on}  {state}").format(
            received_on=r["received_on"], applicant_type=r["applicant_type"],
            due_on=(r["due_on"] or "-") + (f"（{r['due_note']}）" if r.get("due_note") else ""), state=state)
                   + (f"  {r['subject']}" if r["subject"] else ""))
    if not rows:
        click.echo(_("(none)"))


def _today(app) -> date:
    return app.store.clock.now().astimezone(app.config.tz).date()


def _not_future(app, day: date | None, field: str) -> date | None:
    """``day`` unless it is after today (office time): InputError naming ``field``."""
    from publisher.report.registers.keepers import not_future

    return not_future(day, _today(app), field)


def _due(item) -> str:
    """The deadline as shown: marked when it crosses a year whose holiday arrangement is unknown."""
    if item.due_on is None:
        return _("paused")
    return f"{item.due_on}" + ("" if item.due_known else f"（{UNKNOWN_MARK}）")


def _day(text: str | None, field: str) -> date | None:
    from publisher.report.registers.keepers import parse_day

    return parse_day(text, field)


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
    app = obj.app()
    _not_future(app, appeal.filed_on, "--filed")
    _not_future(app, appeal.decided_on, "--decided")
    click.echo(AppealRegister(app.store, app.config.office.code).add_many([appeal])[0])


@appeals.command("decide")
@click.argument("appeal_id", type=int)
@click.option("--result", required=True, type=click.Choice(["维持", "纠正", "其他"]), help="维持, 纠正 or 其他")
@click.option("--on", "decided_on", required=True, metavar="YYYY-MM-DD")
@click.pass_obj
def appeals_decide(obj, appeal_id: int, result: str, decided_on: str) -> None:
    """Record the result of a pending review or lawsuit (once: it then counts in the year it was decided)."""
    from publisher.report.registers.appeals import AppealRegister

    app = obj.app()
    decided = AppealRegister(app.store, app.config.office.code).decide(
        appeal_id, result, _day(decided_on, "--on"), app.current_actor(), _today(app))
    click.echo(_("{id} decided {decided_on}: {result}").format(id=appeal_id, decided_on=decided.decided_on,
                                                               result=decided.result))


@appeals.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def appeals_import(obj, file: Path) -> None:
    """Record appeals from CSV or JSON Lines (kind, filed_on, result, decided_on, reference); all or none."""
    from publisher.report.registers.appeals import AppealRegister, read_appeals

    app = obj.app()
    ids = AppealRegister(app.store, app.config.office.code).add_many(read_appeals(file))
    click.echo(_("recorded {count} appeal(s)").format(count=len(ids)))


@appeals.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def appeals_list(obj, as_json: bool) -> None:
    """Every review and lawsuit."""
    from publisher.report.registers.appeals import AppealRegister

    app = obj.app()
    rows = [a.as_dict() for a in AppealRegister(app.store, app.config.office.code).all()]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:>4}  {r['kind']}  " + _("filed {filed_on}").format(filed_on=r["filed_on"]) + "  "
                   + (f"{r['result']} {r['decided_on']}" if r["result"] else "尚未审结"))
    if not rows:
        click.echo(_("(none)"))
