"""``publisher queue``: queue items one at a time or from a file, and list the queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from publisher.cli.context import CliContext
from publisher.cli.helpers import echo_json
from publisher.foundation.i18n import _
from publisher.foundation.textwidth import fit, pad
from publisher.ledger.review_state import ReviewState


def catalogue_options(command):
    """The disclosure catalogue's fields (政府信息公开目录) as options of a command."""
    for flag, metavar, text in reversed([
        ("--doc-no", "文号", "the document number, e.g. 东住建〔2019〕12号"),
        ("--written-on", "DATE", "成文日期 (YYYY-MM-DD)"),
        ("--issuer", "ORG", "发布机构 (default: the office)"),
        ("--subject", "TEXT", "主题分类, from the office's list"),
        ("--genre", "TEXT", "体裁, from the office's list (通知, 公告, 规范性文件, 解读 …)"),
        ("--disclosure", "KIND", "公开方式: 主动公开 (default), 依申请公开 or 不予公开"),
        ("--disclosure-reason", "TEXT", "the legal reason of 依申请公开 or 不予公开"),
        ("--interprets", "ID", "this item is the 解读 of the policy with this id"),
        ("--interpretation-form", "FORM", "the 解读's form: 文字 (default), 图解, 视频 or 问答"),
    ]):
        command = click.option(flag, default=None, metavar=metavar, help=text)(command)
    return command


@click.group("queue")
def queue() -> None:
    """Queue items and look at the queue."""


@queue.command("add")
@click.option("--title", required=True)
@click.option("--category", required=True)
@click.option("--body", "body", metavar="HTML")
@click.option("--body-file", type=click.Path(dir_okay=False), metavar="FILE")
@click.option("--encoding", help="encoding of --body-file when it is not UTF-8 (e.g. gbk)")
@click.option("--channel", "channels", multiple=True, metavar="NAME", help="repeat for several; default: routing")
@click.option("--at", metavar="ISO8601", help="when to publish (office time zone unless an offset is given)")
@click.option("--department", default="")
@click.option("--summary", default="")
@click.option("--author", default="")
@click.option("--attach", multiple=True, type=click.Path(dir_okay=False), metavar="FILE")
@click.option("--option", "options", multiple=True, metavar="CHANNEL.KEY=VALUE", help="e.g. wechat.title=短标题")
@click.option("--key", default=None, help="the office's own reference for the item (unique in the office)")
@catalogue_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def queue_add(obj: CliContext, as_json: bool, options: tuple[str, ...], **fields: Any) -> None:
    """Queue one item; prints its id (a draft for review when review is on)."""
    from publisher.items.intake import CATALOGUE_INPUTS, ItemRequest, parse_options, queue_one
    from publisher.review.workflow import show

    request = ItemRequest(
        title=fields["title"], category=fields["category"], body=fields["body"], body_file=fields["body_file"],
        channels=list(fields["channels"]), at=fields["at"], department=fields["department"],
        attach=list(fields["attach"]), summary=fields["summary"], author=fields["author"],
        options=parse_options(list(options)), encoding=fields["encoding"], key=fields["key"],
        catalogue={name: fields[name] for name in CATALOGUE_INPUTS if fields.get(name) is not None},
    )
    app = obj.app()
    item_id = queue_one(app, request)
    state = show(app, obj.actor(), item_id)
    echo_json({"id": item_id}) if as_json else click.echo(item_id)  # the findings: `review show ID --json`
    _tell_findings(state)
    if state["state"] == ReviewState.DRAFT:
        click.echo(_("draft: submit it for review with `publisher review submit {id}`").format(id=item_id), err=True)


def _tell_findings(state: dict) -> None:
    """Say on stderr what the gate found, one line a finding."""
    from publisher.items.checking import shown_finding

    for f in map(shown_finding, state["findings"]):
        click.echo(_("gate: {kind} in {field} ({where}): {text}").format(
            kind=f["kind"], field=f["field"], where=f["where"], text=f["text"])
            + (f" → {f['suggestion']}" if f["suggestion"] else ""), err=True)
    for name in state["unchecked"]:
        click.echo(_("gate: {name} could not be checked (image or scanned file): the approver confirms it").format(
            name=name), err=True)


@queue.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--encoding", help="file encoding when it is not UTF-8 (e.g. gbk)")
@click.option("--again", is_flag=True, help="import a file that was imported before (rows whose key exists are still skipped)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def queue_import(obj: CliContext, file: str, encoding: str | None, again: bool, as_json: bool) -> None:
    """Queue every item of a JSON Lines, CSV or .xlsx file — all or none."""
    from publisher.foundation.legacy_text import describe
    from publisher.items.imports import import_file

    app = obj.app()
    decoded: dict[str, list[int]] = {}
    ids = import_file(app, Path(file), encoding=encoding, again=again, decoded=decoded)
    if as_json:
        echo_json({"ids": ids, "count": len(ids), **({"decoded": decoded} if decoded else {})})
        return _tell_flagged(app, ids)
    if ids:
        click.echo(_("queued {count} items ({first}–{last})").format(count=len(ids), first=ids[0], last=ids[-1]))
    else:
        click.echo(_("queued 0 items: every row's key is in the office already"))
    if decoded:
        click.echo(_("not UTF-8, so every field was decoded on its own: {lines}").format(lines=describe(decoded)))
    _tell_flagged(app, ids)


def _tell_flagged(app, ids: list[int]) -> None:
    """Say on stderr which of the imported items the gate flagged."""
    flagged = app.store.items_with_findings(ids)
    if flagged:
        click.echo(_("gate: {count} item(s) have findings (see `publisher review show ID`): {ids}").format(
            count=len(flagged), ids=", ".join(map(str, flagged[:20])) + (" …" if len(flagged) > 20 else "")), err=True)


def _due_column(standing: dict | None) -> str:
    """The 20-working-day clock in ``queue list``: the due date, ``!`` when late, ``~`` in the warning days."""
    if standing is None:
        return "—"
    return standing["due"].isoformat() + ("!" if standing["late"] else "~" if standing["warn"] else "")


@queue.command("list")
@click.option("--status", help="a delivery status (pending, published, failed, dead, in_doubt …) or a review state "
                               "(draft, in_review, rejected, approved)")
@click.option("--channel", default=None, help="only items with a delivery to this channel")
@click.option("--category", default=None)
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="scheduled on or after this day (office time)")
@click.option("--until", default=None, metavar="YYYY-MM-DD", help="scheduled on or before this day (office time)")
@click.option("--search", "q", default=None, metavar="TEXT", help="text in the title, or an item id")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True, help="items per page")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def queue_list(obj: CliContext, status: str | None, channel: str | None, category: str | None, since: str | None,
               until: str | None, q: str | None, page: int, limit: int, as_json: bool) -> None:
    """List items of your office, newest first, a page at a time, with their deliveries' status."""
    from publisher.items.catalogue import clock
    from publisher.ledger.listing import PER_PAGE_MAX, Filters, list_items, parse_date
    from publisher.ledger.search import office_table

    app = obj.app()
    filters = Filters(office=obj.actor().office, status=status, channel=channel, category=category, q=q,
                      since=parse_date(since, "--since"), until=parse_date(until, "--until"),
                      abbreviations=office_table(app.config))
    found = list_items(app.store.engine, app.config.tz, filters, page=page, per_page=min(limit, PER_PAGE_MAX))
    rows = found["items"]
    tz = app.config.tz
    today = app.clock.now().astimezone(tz).date()
    for r in rows:
        first = r.get("first_published_at")
        r["clock"] = clock(r.get("written_on"), first.astimezone(tz).date() if first else None, today)
    if as_json:
        echo_json([{"id": r["id"], "title": r["title"], "category": r["category"], "status": r["status"],
                    "publish_at": r["publish_at"], "deliveries": r["deliveries"],
                    "publication_due": r["clock"]["due"].isoformat() if r["clock"] else None,
                    "publication_late": r["clock"]["late"] if r["clock"] else None} for r in rows])
        return
    for r in rows:
        states = " ".join(f"{d['channel']}:{_(d['status'])}" for d in r["deliveries"])
        when = r["publish_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M")
        due = _due_column(r["clock"])
        click.echo(f"{r['id']:>6}  {when}  {pad(due, 12)} {pad(r['category'], 14)} {fit(r['title'], 50)}  {states}")
    if not rows:
        click.echo(_("(no items)"))
    elif found["total"] > len(rows):
        click.echo(_("(page {page}: {count} of {total}; --page {next} for more)").format(
            page=page, count=len(rows), total=found["total"], next=page + 1), err=True)
