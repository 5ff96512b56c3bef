"""``publisher reposts``: the register of 转载任务 (reposts mandated by a higher body)."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.context import CliContext
from publisher.cli.helpers import echo_json
from publisher.foundation.i18n import _
from publisher.foundation.textwidth import pad

STATE_WORDS = {"carried": "已转载", "late": "逾期转载", "open": "待转载", "missed": "未转载（已过期限）"}


@click.group("reposts")
def reposts() -> None:
    """The register of 转载任务: record, import, make the item, record copies made elsewhere."""


@reposts.command("add")
@click.option("--title", required=True)
@click.option("--source", "source_url", metavar="URL", help="the original's address")
@click.option("--document", "source_file", type=click.Path(dir_okay=False, path_type=Path),
              help="the original as a file (attached to the item)")
@click.option("--channel", "accounts", multiple=True, required=True, metavar="NAME",
              help="an account that must carry it (a channel, or one of reposts.other_accounts); repeat")
@click.option("--due", "due_on", required=True, metavar="YYYY-MM-DD", help="the deadline")
@click.option("--issuer", default="", help="the body that mandated it (e.g. 市委网信办)")
@click.option("--category", help="the item's category (default: reposts.category)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reposts_add(obj: CliContext, as_json: bool, **fields) -> None:
    """Record one task; prints its id."""
    from publisher.reposts.tasks import add_tasks, parse_task

    app = obj.app()
    task_id = add_tasks(app, obj.actor(), [parse_task(app, {**fields, "accounts": list(fields["accounts"])})])[0]
    echo_json({"id": task_id}) if as_json else click.echo(task_id)


@reposts.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reposts_import(obj: CliContext, file: Path, as_json: bool) -> None:
    """Record tasks from .xlsx, CSV (UTF-8 or GBK) or JSON Lines: title, source, channels, due, issuer; all or none."""
    from publisher.reposts.imports import read_tasks
    from publisher.reposts.tasks import add_tasks

    app = obj.app()
    ids = add_tasks(app, obj.actor(), read_tasks(app, file))
    echo_json({"ids": ids}) if as_json else click.echo(_("recorded {count} task(s)").format(count=len(ids)))


@reposts.command("list")
@click.option("--open", "open_only", is_flag=True, help="only tasks some account has not carried yet")
@click.option("--year", type=int, help="only tasks due in YEAR")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reposts_list(obj: CliContext, open_only: bool, year: int | None, as_json: bool) -> None:
    """Tasks by deadline, with how many accounts carried each on time."""
    from publisher.reposts.rates import percent
    from publisher.reposts.tasks import list_tasks

    app = obj.app()
    tasks = list_tasks(app, obj.actor().office, open_only=open_only, year=year)
    if as_json:
        echo_json([t.as_dict() for t in tasks])
        return
    for t in tasks:
        missing = [e.account for e in t.accounts if e.state in ("open", "missed")]
        click.echo(f"{pad(str(t.id), 5)} {t.due_on}  {pad(percent(t.rate), 5)} {t.title}"
                   + ("  " + _("not yet: {names}").format(names="、".join(missing)) if missing else ""))


@reposts.command("show")
@click.argument("task_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reposts_show(obj: CliContext, task_id: int, as_json: bool) -> None:
    """One task and each account's evidence (URL and time)."""
    from publisher.reposts.rates import percent
    from publisher.reposts.tasks import get_task

    app = obj.app()
    task = get_task(app, obj.actor().office, task_id)
    if as_json:
        echo_json(task.as_dict())
        return
    click.echo(f"{task.id} {task.title}")
    click.echo(_("issuer: {issuer}  due: {due}  item: {item}").format(issuer=task.issuer or "—", due=task.due_on,
                                                                        item=task.item_id or "—"))
    click.echo(_("carried on time: {done}/{required} ({rate})").format(
        done=task.carried_on_time, required=len(task.accounts), rate=percent(task.rate)))
    for e in task.accounts:
        when = e.at.astimezone(app.config.tz).strftime("%Y-%m-%d %H:%M") if e.at else ""
        click.echo(f"  {pad(e.account, 16)} {pad(STATE_WORDS[e.state.value], 18)} {when} {e.url or ''}")


@click.command("make")
@click.argument("task_id", type=int)
@click.option("--body-file", help="the item's body (default: the title, the issuer and the link to the original)")
@click.option("--at", help="when to publish (ISO 8601, office time; default: as soon as approved)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reposts_make(obj: CliContext, task_id: int, body_file: str | None, at: str | None, as_json: bool) -> None:
    """Queue the task's item for its channels and submit it for review; prints the item's id."""
    from publisher.reposts.carrying import make_item

    item_id = make_item(obj.app(), obj.actor(), task_id, body_file=body_file, at=at)
    echo_json({"id": task_id, "item_id": item_id}) if as_json else click.echo(item_id)


@click.command("done")
@click.argument("task_id", type=int)
@click.option("--channel", "account", required=True, metavar="NAME", help="the account that carried it")
@click.option("--url", required=True, help="where the copy is")
@click.option("--at", help="when it was published (ISO 8601, office time; default: now)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reposts_done(obj: CliContext, task_id: int, account: str, url: str, at: str | None, as_json: bool) -> None:
    """Record a copy made outside publisher (an account publisher does not publish to)."""
    from publisher.items.intake import parse_time
    from publisher.reposts.rates import percent
    from publisher.reposts.tasks import record_done

    app = obj.app()
    when = parse_time(at, app) if at else None
    task = record_done(app, obj.actor(), task_id, account, url, when)
    if as_json:
        echo_json(task.as_dict())
    else:
        click.echo(_("task {id}: carried on time {done}/{required} ({rate})").format(
            id=task.id, done=task.carried_on_time, required=len(task.accounts), rate=percent(task.rate)))


reposts.add_command(reposts_make, "make")
reposts.add_command(reposts_make, "carry")
reposts.add_command(reposts_done, "done")
reposts.add_command(reposts_done, "complete")
