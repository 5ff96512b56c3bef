"""``publisher item``: show, retract, retry, settle or edit one item."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from publisher.cli.context import CliContext
from publisher.cli.helpers import EXIT_FAILED, echo_json, print_review
from publisher.cli.types import HTTP_URL, ITEM_ID
from publisher.foundation.i18n import _, shown
from publisher.foundation.redact import scrub
from publisher.foundation.textwidth import pad
from publisher.ledger.lifecycle import DeliveryStatus


@click.group("item")
def item() -> None:
    """Show, retract, retry or settle one item."""


def _delivery_json(d: dict, item: dict | None = None) -> dict:
    from publisher.delivery.corrections import copy_state

    shown = {k: d[k] for k in ("channel", "status", "attempts", "external_id", "external_url", "published_at")} | {
        "last_error": scrub(d["last_error"]), "next_attempt_at": d["next_attempt_at"],
        "retract_requested": d["retract_requested"], "waiting_for": d.get("waiting_for"), "revision": d.get("revision")}
    if item is not None:
        state = copy_state(d, item)
        shown["update"] = state.value if state else None
    return shown


@item.command("show")
@click.argument("item_id", type=ITEM_ID)
@click.option("--events", is_flag=True, help="include the event log")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def item_show(obj: CliContext, item_id: int, events: bool, as_json: bool) -> None:
    """The item and one delivery per channel."""
    from publisher.items.catalogue import catalogue_json
    from publisher.review.workflow import show

    app = obj.app()
    review = show(app, obj.actor(), item_id)  # another office's item is not found
    row = app.store.get_item(item_id)
    data = {
        "id": row["id"], "title": row["title"], "category": row["category"], "status": row["status"],
        "office": row["office"], "key": row["key"], "revision": row["revision"],
        "publish_at": row["publish_at"], "department": row["department"], "review_state": row["review_state"],
        "review": {"state": review["state"], "step": review["step"], "late": review["late"], "held": review["held"]},
        "deliveries": [_delivery_json(d, row) for d in row["deliveries"]],
        "attachments": [{k: a[k] for k in ("filename", "sha256", "size", "inline")} for a in row["attachments"]],
    } | catalogue_json(app.config, row, app.clock.now().astimezone(app.config.tz).date())
    if events:
        data["events"] = [{k: e[k] for k in ("at", "kind", "channel", "actor", "detail")} for e in app.store.events_for(item_id)]
    if as_json:
        echo_json(data)
        return
    tz = app.config.tz
    click.echo(f"#{data['id']} {data['title']}  [{data['category']}]  {_(data['status'])}")
    click.echo("  " + _("publish at {time}").format(time=f"{data['publish_at'].astimezone(tz):%Y-%m-%d %H:%M %Z}"))
    step = review["step"]
    click.echo("  " + _("review: {state}").format(state=_(review["state"]))
               + (_(", waiting for {name} ({role})").format(name=step["name"], role=_(step["role"])) if step else "")
               + (_(", late") if review["late"] else "") + (_(", held for a new time") if review["held"] else ""))
    click.echo("  " + _("revision {revision}").format(revision=data["revision"]))
    for line in catalogue_lines(data, tz):
        click.echo("  " + line)
    for d in data["deliveries"]:
        extra = d["external_url"] or shown(d["last_error"]) or ""
        status = _("{status} (waiting for {channel})").format(status=_(d["status"]), channel=d["waiting_for"]) \
            if d.get("waiting_for") else _(d["status"])
        copy = _copy_note(d, data["revision"])
        click.echo(f"  {pad(d['channel'], 14)} {pad(status, 10)} " + _("attempts={count}").format(count=d["attempts"])
                   + f"  {extra}" + (f"  [{copy}]" if copy else ""))
    for e in data.get("events", []):
        detail = json.dumps(e["detail"], ensure_ascii=False) if e["detail"] else ""
        click.echo(f"    {e['at'].astimezone(tz):%Y-%m-%d %H:%M:%S} {e['kind']:<14} {e['channel'] or '':<12} {detail}")


@item.command("retract")
@click.argument("item_id", type=ITEM_ID)
@click.option("--reason", default="")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def item_retract(obj: CliContext, item_id: int, reason: str, as_json: bool) -> None:
    """Take an item down everywhere (cancels what has not been sent)."""
    from publisher.delivery.actions import retract_item

    app = obj.app()
    retract_item(app, item_id, reason)
    row = app.store.get_item(item_id)
    deliveries = [_delivery_json(d) for d in row["deliveries"]]
    if as_json:
        echo_json({"id": item_id, "deliveries": deliveries})
    else:
        for d in deliveries:
            note = _retract_note(app, d)
            click.echo(f"{pad(d['channel'], 14)} {_(d['status'])}" + (f"  ({note})" if note else ""))
    if any(d["status"] != DeliveryStatus.RETRACTED for d in deliveries):
        sys.exit(EXIT_FAILED)


def _copy_note(d: dict, revision: int) -> str:
    """Which revision a published copy shows and, when older than the item, what happens to it."""
    if d.get("update") is None:
        return ""
    if d["update"] == "current":
        return _("revision {revision}").format(revision=d["revision"]) if revision > 1 else ""
    if d["update"] == "left":
        return _("left at revision {old} by the editor").format(old=d["revision"])
    notes = {"waiting_review": _("update after the review of revision {new}"),
             "pending": _("update to revision {new} due"), "updating": _("updating to revision {new}"),
             "failed": _("update to revision {new} failed")}
    return _("shows revision {old}").format(old=d["revision"]) + "; " + notes[d["update"]].format(new=revision)


def _retract_note(app, d: dict) -> str:
    """Why a delivery is not retracted yet (empty when it is)."""
    if d["status"] == DeliveryStatus.RETRACTED:
        return ""
    if d["last_error"]:
        return shown(d["last_error"])
    if d["channel"] not in app.config.enabled_channels():
        return _("the channel is not enabled in the configuration: take it down there by hand")
    if d["channel"] in app.store.paused_channels():
        return _("the channel is paused (publisher channel list); it is taken down once the channel is resumed")
    if d["status"] == DeliveryStatus.PUBLISHING:
        return _("an attempt is in flight; the daemon takes it down as soon as that attempt ends")
    return ""


@item.command("retry")
@click.argument("item_id", type=ITEM_ID)
@click.option("--channel", default=None)
@click.pass_obj
def item_retry(obj: CliContext, item_id: int, channel: str | None) -> None:
    """Send dead, failed or in-doubt deliveries again at the next run (in doubt: looked up first if possible)."""
    from publisher.delivery.actions import retry_item

    done = retry_item(obj.app(), item_id, channel)
    click.echo(_("will retry: {channels}").format(channels=", ".join(done)) if done else _("nothing to retry"))


@item.command("settle")
@click.argument("item_id", type=ITEM_ID)
@click.option("--channel", required=True, help="the channel whose delivery you checked")
@click.option("--url", required=True, type=HTTP_URL, help="where you found the item on that channel")
@click.option("--external-id", default=None, help="the channel's id for it (default: the url)")
@click.option("--at", "when", default=None, metavar="ISO8601", help="when it was published (default: now)")
@click.pass_obj
def item_settle(obj: CliContext, item_id: int, channel: str, url: str, external_id: str | None, when: str | None) -> None:
    """Record that an in-doubt delivery did arrive (you found it on the channel); it then counts as published."""
    from publisher.delivery.actions import settle_item
    from publisher.items.intake import parse_time

    app = obj.app()
    published_at = parse_time(when, app, field_name="--at") if when else None
    settle_item(app, item_id, channel, url=url, external_id=external_id, published_at=published_at)
    click.echo(_("{channel}: published ({url})").format(channel=channel, url=url))


@item.command("edit")
@click.argument("item_id", type=ITEM_ID)
@click.option("--title", default=None)
@click.option("--category", default=None)
@click.option("--body", default=None, metavar="HTML")
@click.option("--body-file", type=click.Path(dir_okay=False), default=None, metavar="FILE")
@click.option("--encoding", default=None)
@click.option("--summary", default=None)
@click.option("--department", default=None)
@click.option("--author", default=None)
@click.option("--at", default=None, metavar="ISO8601", help="a new time (does not restart the review)")
@click.option("--channel", "channels", multiple=True, metavar="NAME", help="replace the channels (repeat)")
@click.option("--attach", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="replace the attachments (repeat)")
@click.option("--option", "options", multiple=True, metavar="CHANNEL.KEY=VALUE")
@click.option("--leave", multiple=True, metavar="CHANNEL",
              help="leave the old version on this channel (repeat; needed for channels that cannot update)")
@click.option("--reason", default=None, help="why: kept in the audit chain")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def item_edit(obj, item_id: int, channels: tuple[str, ...], attach: tuple[str, ...], options: tuple[str, ...],
              leave: tuple[str, ...], as_json: bool, **fields: Any) -> None:
    """Change an item; a changed text after an approval goes back to the first step, and the channels that
    already have it are updated once the new revision is approved."""
    from publisher.items.editing import edit_item
    from publisher.items.intake import parse_options

    app = obj.app()
    data = edit_item(app, obj.actor(), item_id, channels=list(channels) or None, attach=list(attach) or None,
                     options=parse_options(list(options)) if options else None, leave=list(leave), **fields)
    if as_json:
        echo_json(data)
    else:
        print_review(app, data)


def catalogue_lines(data: dict, tz) -> list[str]:
    """The catalogue data of ``item show``, a line for each thing the item carries."""
    first = data["first_published_at"]
    lines = [_("index number (索引号): {value}").format(value=data["index_no"] or _("not assigned yet")),
             _("issuer: {issuer}").format(issuer=data["issuer"])]
    if data["doc_no"] or data["written_on"]:
        lines.append(_("document number: {doc_no}, written on {day}").format(
            doc_no=data["doc_no"] or "—", day=data["written_on"] or "—"))
    if first:
        lines.append(_("first published: {time}").format(time=f"{first.astimezone(tz):%Y-%m-%d %H:%M}"))
    if data["publication_due"]:
        lines.append(_("to be published by {day} (20 working days)").format(day=data["publication_due"])
                     + (_(", late") if data["publication_late"] else ""))
    if data["validity"] != "有效":
        lines.append(_("{validity} on {day}: {basis}").format(validity=data["validity"], day=data["validity_on"],
                                                             basis=data["validity_basis"] or ""))
    if data["interprets"]:
        lines.append(_("解读 ({form}) of item {id}").format(form=data["interpretation_form"], id=data["interprets"]))
    return lines

