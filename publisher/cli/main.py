"""The ``publisher`` command line (see README.md). Exit codes: 0 ok, 1 work failed, 2 bad input, 130 interrupted."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError

from publisher.cli.types import HTTP_URL, ITEM_ID
from publisher.errors import ConfigError, InputError, NotFound, PublisherError, Refused
from publisher.foundation.i18n import _, localise_click, localise_help, shown
from publisher.foundation.redact import install_log_scrubbing, scrub
from publisher.foundation.textwidth import fit, pad

EXIT_FAILED, EXIT_INPUT, EXIT_REFUSED, EXIT_INTERRUPTED = 1, 2, 3, 130
SANDBOX_PORTS = 6  # the emulators listen on port-base … port-base + 5
YEAR_MIN = 1900  # (year 1 in an east-of-UTC zone starts before the first representable UTC instant)


class _Group(click.Group):
    """Turns our errors into messages and exit codes instead of tracebacks; speaks the office's language."""

    def main(self, *args, **kwargs):
        localise_click()
        localise_help(self)
        return super().main(*args, **kwargs)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (ConfigError, InputError, NotFound) as exc:
            click.echo(_("error: {message}").format(message=scrub(shown(str(exc)))), err=True)
            ctx.exit(EXIT_INPUT)
        except Refused as exc:
            click.echo(_("refused: {message}").format(message=scrub(shown(str(exc)))), err=True)
            ctx.exit(EXIT_REFUSED)
        except PublisherError as exc:
            click.echo(_("error: {message}").format(message=scrub(shown(str(exc)))), err=True)
            ctx.exit(EXIT_FAILED)
        except OperationalError as exc:  # the database went away or stayed locked: say so, no traceback
            reason = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() else type(exc).__name__
            click.echo(_("error: database: {reason}").format(reason=scrub(reason)), err=True)
            ctx.exit(EXIT_FAILED)
        except KeyboardInterrupt:
            click.echo(_("interrupted"), err=True)
            ctx.exit(EXIT_INTERRUPTED)


class _Ctx:
    def __init__(self, config: str | None, verbose: bool, acting: str | None = None):
        self.config_path = config
        self.verbose = verbose
        self.acting = acting
        self._app = None

    def app(self, schema: str | None = None):
        """The App; ``schema`` is a db.SchemaPolicy (default: create a new database, refuse an old one)."""
        if self._app is None:
            from publisher.runtime.app import App
            from publisher.db.engine import SchemaPolicy
            from publisher.accounts.users import resolve_actor

            app = App.load(self.config_path, schema=schema or SchemaPolicy.CREATE)
            try:
                actor = resolve_actor(app.store, self.acting, default_office=app.config.office.code, fallback=app.actor)
            except BaseException:
                app.close()
                raise
            app.user = actor if actor.is_user else None
            self._app = app
        return self._app

    def actor(self):
        """The acting user (``--as``/``$PUBLISHER_USER``) or the operating-system account."""
        return self.app().current_actor()

    def config(self):
        from publisher.config.load import load_config

        return self._app.config if self._app else load_config(self.config_path)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", metavar="PATH", help="config file (default $PUBLISHER_CONFIG or ./config.yaml)")
@click.option("-v", "--verbose", is_flag=True, help="log more")
@click.option("--as", "acting", metavar="NAME", help="the acting user (default $PUBLISHER_USER)")
@click.version_option(package_name="publisher")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: bool, acting: str | None) -> None:
    """publisher: queue an item once, publish it on every channel, count it exactly for the annual report."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("apscheduler", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_log_scrubbing()
    ctx.obj = _Ctx(config, verbose, acting)
    ctx.call_on_close(lambda: ctx.obj._app.close() if ctx.obj._app else None)


@main.command("check-config")
@click.option("--offline", is_flag=True, help="do not require channel secrets (for a machine that only reports)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def check_config(obj: _Ctx, offline: bool, as_json: bool) -> None:
    """Validate the configuration; list every problem by key path (exit 2)."""
    try:
        cfg = obj.config()
        missing = [p for problems in cfg.missing_secrets.values() for p in problems]
        if missing and not offline:
            raise ConfigError(missing, str(cfg.path))
    except ConfigError as exc:
        if as_json:
            _echo_json({"ok": False, "path": exc.path, "problems": exc.problems})
            sys.exit(EXIT_INPUT)
        raise
    summary = {"ok": True, "path": str(cfg.path), "channels": {n: s.type for n, s in cfg.channels.items()},
               "categories": cfg.categories, "database": _redact_url(cfg.database_url), "series": list(cfg.series)}
    if as_json:
        _echo_json(summary)
    else:
        click.echo(_("{path}: OK — {channels} channels ({names}), {categories} categories, database {database}").format(
            path=cfg.path, channels=len(cfg.channels), names=", ".join(summary["channels"]),
            categories=len(cfg.categories), database=summary["database"]))


def _redact_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- queue ----------------------------------------------------------------------------------------
@main.group()
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
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def queue_add(obj: _Ctx, as_json: bool, options: tuple[str, ...], **fields: Any) -> None:
    """Queue one item; prints its id (a draft for review when review is on)."""
    from publisher.items.intake import ItemRequest, parse_options, queue_one
    from publisher.review.workflow import ReviewState, show

    request = ItemRequest(
        title=fields["title"], category=fields["category"], body=fields["body"], body_file=fields["body_file"],
        channels=list(fields["channels"]), at=fields["at"], department=fields["department"],
        attach=list(fields["attach"]), summary=fields["summary"], author=fields["author"],
        options=parse_options(list(options)), encoding=fields["encoding"], key=fields["key"],
    )
    app = obj.app()
    item_id = queue_one(app, request)
    state = show(app, obj.actor(), item_id)
    _echo_json({"id": item_id}) if as_json else click.echo(item_id)  # the findings: `review show ID --json`
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
def queue_import(obj: _Ctx, file: str, encoding: str | None, again: bool, as_json: bool) -> None:
    """Queue every item of a JSON Lines, CSV or .xlsx file — all or none."""
    from publisher.items.intake import import_file

    app = obj.app()
    ids = import_file(app, Path(file), encoding=encoding, again=again)
    if as_json:
        _echo_json({"ids": ids, "count": len(ids)})
    elif ids:
        click.echo(_("queued {count} items ({first}–{last})").format(count=len(ids), first=ids[0], last=ids[-1]))
    else:
        click.echo(_("queued 0 items: every row's key is in the office already"))
    flagged = app.store.items_with_findings(ids)
    if flagged:
        click.echo(_("gate: {count} item(s) have findings (see `publisher review show ID`): {ids}").format(
            count=len(flagged), ids=", ".join(map(str, flagged[:20])) + (" …" if len(flagged) > 20 else "")), err=True)


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
def queue_list(obj: _Ctx, status: str | None, channel: str | None, category: str | None, since: str | None,
               until: str | None, q: str | None, page: int, limit: int, as_json: bool) -> None:
    """List items of your office, newest first, a page at a time, with their deliveries' status."""
    from publisher.ledger.listing import PER_PAGE_MAX, Filters, list_items, parse_date

    app = obj.app()
    filters = Filters(office=obj.actor().office, status=status, channel=channel, category=category, q=q,
                      since=parse_date(since, "--since"), until=parse_date(until, "--until"))
    found = list_items(app.store.engine, app.config.tz, filters, page=page, per_page=min(limit, PER_PAGE_MAX))
    rows = found["items"]
    if as_json:
        _echo_json([{"id": r["id"], "title": r["title"], "category": r["category"], "status": r["status"],
                     "publish_at": r["publish_at"], "deliveries": r["deliveries"]} for r in rows])
        return
    tz = app.config.tz
    for r in rows:
        states = " ".join(f"{d['channel']}:{_(d['status'])}" for d in r["deliveries"])
        when = r["publish_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{r['id']:>6}  {when}  {pad(r['category'], 14)} {fit(r['title'], 50)}  {states}")
    if not rows:
        click.echo(_("(no items)"))
    elif found["total"] > len(rows):
        click.echo(_("(page {page}: {count} of {total}; --page {next} for more)").format(
            page=page, count=len(rows), total=found["total"], next=page + 1), err=True)


# -- item -----------------------------------------------------------------------------------------
@main.group()
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
def item_show(obj: _Ctx, item_id: int, events: bool, as_json: bool) -> None:
    """The item and one delivery per channel."""
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
    }
    if events:
        data["events"] = [{k: e[k] for k in ("at", "kind", "channel", "actor", "detail")} for e in app.store.events_for(item_id)]
    if as_json:
        _echo_json(data)
        return
    tz = app.config.tz
    click.echo(f"#{data['id']} {data['title']}  [{data['category']}]  {_(data['status'])}")
    click.echo("  " + _("publish at {time}").format(time=f"{data['publish_at'].astimezone(tz):%Y-%m-%d %H:%M %Z}"))
    step = review["step"]
    click.echo("  " + _("review: {state}").format(state=_(review["state"]))
               + (_(", waiting for {name} ({role})").format(name=step["name"], role=_(step["role"])) if step else "")
               + (_(", late") if review["late"] else "") + (_(", held for a new time") if review["held"] else ""))
    click.echo("  " + _("revision {revision}").format(revision=data["revision"]))
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
def item_retract(obj: _Ctx, item_id: int, reason: str, as_json: bool) -> None:
    """Take an item down everywhere (cancels what has not been sent)."""
    from publisher.delivery.actions import retract_item
    from publisher.ledger.lifecycle import DeliveryStatus

    app = obj.app()
    retract_item(app, item_id, reason)
    row = app.store.get_item(item_id)
    deliveries = [_delivery_json(d) for d in row["deliveries"]]
    if as_json:
        _echo_json({"id": item_id, "deliveries": deliveries})
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
    from publisher.ledger.lifecycle import DeliveryStatus

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
def item_retry(obj: _Ctx, item_id: int, channel: str | None) -> None:
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
def item_settle(obj: _Ctx, item_id: int, channel: str, url: str, external_id: str | None, when: str | None) -> None:
    """Record that an in-doubt delivery did arrive (you found it on the channel); it then counts as published."""
    from publisher.delivery.actions import settle_item
    from publisher.items.intake import parse_time

    app = obj.app()
    published_at = parse_time(when, app, field_name="--at") if when else None
    settle_item(app, item_id, channel, url=url, external_id=external_id, published_at=published_at)
    click.echo(_("{channel}: published ({url})").format(channel=channel, url=url))


# -- daemon ---------------------------------------------------------------------------------------
@main.command("run")
@click.option("--once", is_flag=True, help="publish everything due now, then exit")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def run(obj: _Ctx, once: bool, as_json: bool) -> None:
    """The daemon: publish due deliveries on schedule until SIGTERM/SIGINT."""
    from publisher.daemon.service import Daemon
    from publisher.delivery.dispatcher import Dispatcher
    from publisher.series.occurrence_status import OccurrenceStatus
    from publisher.series.runner import SeriesRunner

    app = obj.app()
    app.require_secrets()  # the daemon talks to every enabled channel
    if once:
        series = SeriesRunner(app).tick().outcomes
        dispatcher = Dispatcher(app)
        try:
            stats = dispatcher.run_due()
        finally:
            dispatcher.close()
        summary = dict(stats.outcomes) | {f"series {k.replace('_', ' ')}": v for k, v in series.items() if v}
        _echo_json(summary) if as_json else click.echo(
            "nothing due" if not summary else ", ".join(f"{k}: {v}" for k, v in sorted(summary.items())))
        series_failed = series.get(OccurrenceStatus.MISSING_DATA, 0) + series.get(OccurrenceStatus.FAILED, 0)
        sys.exit(EXIT_FAILED if stats.failures or series_failed else 0)
    daemon = Daemon(app)
    daemon.add_job(SeriesRunner(app).poll)
    code = daemon.run()
    if daemon.unfinished:  # worker threads are still inside requests: leave without waiting for them
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


# -- channels -------------------------------------------------------------------------------------
@main.group()
def channel() -> None:
    """Look at channels; resume a paused one."""


@channel.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def channel_list(obj: _Ctx, as_json: bool) -> None:
    """Configured channels, whether they are paused, and their delivery counts."""
    app = obj.app()
    paused = app.store.paused_channels()
    out = []
    for name, s in app.config.channels.items():
        p = paused.get(name)
        out.append({"channel": name, "type": s.type, "display_name": s.display_name or name, "enabled": s.enabled,
                    "paused": bool(p), "paused_until": p["until"] if p else None, "pause_reason": p["reason"] if p else None})
    if as_json:
        _echo_json(out)
        return
    for c in out:
        state = _("disabled") if not c["enabled"] else (
            _("PAUSED: {reason}").format(reason=shown(c["pause_reason"])) if c["paused"] else _("ok"))
        click.echo(f"{pad(c['channel'], 14)} {pad(c['type'], 14)} {pad(c['display_name'], 24)} {state}")


@channel.command("resume")
@click.argument("name")
@click.pass_obj
def channel_resume(obj: _Ctx, name: str) -> None:
    """Lift a pause (after fixing credentials, whitelist, ...)."""
    app = obj.app()
    if name not in app.config.channels:
        raise InputError(_("{name!r} is not configured").format(name=name), field="channel")
    click.echo(_("resumed") if app.store.resume_channel(name, app.actor) else _("{name} was not paused").format(name=name))


@main.command("reconcile")
@click.option("--channel", default=None, help="only this channel")
@click.option("--year", type=click.IntRange(YEAR_MIN, 9998), default=None, help="only deliveries of this year")
@click.option("--fix", is_flag=True, help="record removals and settle in-doubt deliveries found on the channel")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reconcile_cmd(obj: _Ctx, channel: str | None, year: int | None, fix: bool, as_json: bool) -> None:
    """Read every channel back and compare it with the ledger; exit 1 when a difference needs a person."""
    from publisher.delivery.reconcile import reconcile

    app = obj.app()
    if channel and channel not in app.config.channels:
        raise InputError(_("{name!r} is not configured").format(name=channel), field="channel")
    app.require_secrets([channel] if channel else None)
    report = reconcile(app, channel, year=year, fix=fix)
    if as_json:
        _echo_json(report.as_dict())
    else:
        for f in report.findings:
            where = _("item {id}").format(id=f.item_id) if f.item_id is not None else _("record {id}").format(
                id=f.external_id)
            state = _("fixed") if f.fixed else (_("fix with --fix") if f.kind.fixable else _("needs a person"))
            click.echo(f"{f.channel}: {where} {_(f.kind.value)}: {shown(f.reason)} [{state}]")
        checked = ", ".join(f"{name} {n}" for name, n in report.checked.items())
        click.echo(_("checked {checked}; {count} difference(s), {left} left").format(
            checked=checked or _("nothing"), count=len(report.findings), left=len(report.needs_person)))
    if report.needs_person:
        sys.exit(EXIT_FAILED)


# -- tally and report -----------------------------------------------------------------------------
@main.command("tally")
@click.option("--year", type=click.IntRange(YEAR_MIN, 9998), required=True)
@click.option("--items", "with_items", is_flag=True, help="list the item ids behind every number")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def tally_cmd(obj: _Ctx, year: int, with_items: bool, as_json: bool) -> None:
    """Published items per channel and category in YEAR (office time zone)."""
    from publisher.db.engine import SchemaPolicy
    from publisher.report.tally import tally

    app = obj.app(SchemaPolicy.READ)
    t = tally(app.store, app.config, year, with_items=with_items)
    if as_json:
        _echo_json(t)
        return
    click.echo(_("{year} ({timezone}): {publications} publications on reported channels, {distinct} distinct items")
               .format(year=year, timezone=t["timezone"], publications=t["publications"], distinct=t["distinct_items"]))
    for ch in t["channels"]:
        flag = "" if ch["count_in_report"] else "  " + _("(not counted in the report)")
        click.echo(f"  {ch['display_name']} [{ch['channel']}]: {ch['total']}{flag}"
                   + (_(", {count} retracted").format(count=ch["retracted"]) if ch["retracted"] else ""))
        for cat, n in ch["by_category"].items():
            ids = ch.get("items", {}).get(cat)
            click.echo(f"      {cat}: {n}" + ("  " + _("items {ranges}").format(ranges=_ranges(ids)) if ids else ""))


def _ranges(ids: list[int]) -> str:
    out, start, prev = [], None, None
    for i in sorted(ids):
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            out.append(f"{start}-{prev}" if start != prev else str(start))
            start = prev = i
    if start is not None:
        out.append(f"{start}-{prev}" if start != prev else str(start))
    return ",".join(out)


# -- series ---------------------------------------------------------------------------------------
@main.group()
def series() -> None:
    """Recurring publications from data: list them, run one day by hand."""


@series.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def series_list(obj: _Ctx, as_json: bool) -> None:
    """Each series' next occurrence and last outcome (with its deliveries)."""
    from publisher.series.occurrence_status import OccurrenceStatus
    from publisher.series.runner import SeriesRunner

    app = obj.app()
    rows = SeriesRunner(app).overview()
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo(_("(no series configured)"))
    for r in rows:
        nxt = f"next {r['next_occurrence']:%Y-%m-%d %H:%M %Z}" if r["next_occurrence"] else "disabled"
        click.echo(f"{r['series']}  [{r['category']}]  {r['schedule']}  {nxt}")
        for label, o in (("last", r["last"]), ("last problem", r["last_problem"])):
            if o is None or (label == "last problem" and o == r["last"]):
                continue
            line = f"  {label}: {o['occurrence_key']} {o['status'].replace('_', ' ')}"
            if o["item_id"] is not None:
                line += f"  item {o['item_id']}  " + " ".join(f"{d['channel']}:{d['status']}" for d in o["deliveries"])
            if o["status"] == OccurrenceStatus.WAITING and o["next_try_at"]:
                line += f"  next try {o['next_try_at']:%Y-%m-%d %H:%M}"
            if o["last_error"]:
                line += f"  ({shown(o['last_error'])})"
            click.echo(line)
        if r["counts"]:
            click.echo("  occurrences: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(r["counts"].items())))


@series.command("run")
@click.argument("name")
@click.option("--date", "day", required=True, metavar="YYYY-MM-DD", help="the day to publish (office time zone)")
@click.option("--dry-run", is_flag=True, help="render and print it; write nothing")
@click.option("--replace", is_flag=True, help="retract what was issued for that day before (a corrected result)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def series_run(obj: _Ctx, name: str, day: str, dry_run: bool, replace: bool, as_json: bool) -> None:
    """Create one occurrence by hand now (a later run of the same day is a re-issue, KEY#2)."""
    from datetime import date as _date

    from publisher.foundation.clock import SystemClock
    from publisher.series.errors import SeriesError
    from publisher.series.runner import SeriesRunner, find_series, render_manual

    try:
        on = _date.fromisoformat(day.strip())
    except ValueError:
        raise InputError(_("{value!r} is not a date: use YYYY-MM-DD").format(value=day), field="--date") from None
    try:
        if dry_run:
            cfg = obj.config()
            find_series(cfg, name)
            clock = obj._app.clock if obj._app else SystemClock()
            r = render_manual(cfg, name, on, clock.now())
            if as_json:
                _echo_json({"series": r.series, "occurrence_key": r.occurrence_key, "scheduled_at": r.scheduled_at,
                            "title": r.title, "body_html": r.body_html, "dry_run": True})
            else:
                click.echo(f"{r.title}\n\n{r.body_html}")
            return
        app = obj.app()
        runner = SeriesRunner(app)
        issued = runner.issue(name, on, replace=replace)
    except SeriesError as exc:
        click.echo(_("error: {message}").format(message=scrub(shown(str(exc)))), err=True)
        sys.exit(EXIT_FAILED)
    replaced = list(issued.replaced)
    if as_json:
        _echo_json({"series": issued.series, "occurrence_key": issued.occurrence_key,
                    "scheduled_at": issued.scheduled_at, "item_id": issued.item_id, "replaced": replaced})
    else:
        click.echo(issued.item_id)
        if replaced:
            click.echo(_("retracted the earlier item(s) of that day: {ids}").format(ids=", ".join(map(str, replaced))),
                       err=True)


# -- sandbox and demo -----------------------------------------------------------------------------
def _port_base(value: int) -> int:
    if value != 0 and not 1024 <= value <= 65536 - SANDBOX_PORTS:
        raise click.BadParameter(_("{value} is not 0 (free ports) or a port from 1024 to {highest}").format(
                                     value=value, highest=65536 - SANDBOX_PORTS))
    return value


@main.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port-base", default=8701, show_default=True, callback=lambda ctx, p, v: _port_base(v),
              type=int, help="cms=base, wechat=+1, resource_site=+2, wordpress=+3, data=+4, domestic cms=+5; 0: free ports")
def sandbox_cmd(host: str, port_base: int) -> None:
    """Serve local emulators of the channel endpoints until Ctrl-C."""
    from publisher.sandbox.serve import serve_forever

    try:
        serve_forever(host, port_base)
    except OSError as exc:  # a port in use, or a host that is not this machine's
        raise InputError(_("cannot listen on {host} ports {first}-{last}: {reason} (another sandbox running? "
                           "try --port-base)").format(host=host, first=port_base, last=port_base + SANDBOX_PORTS - 1,
                                                      reason=exc.strerror or exc), field="--port-base") from None


@main.command("demo")
@click.option("--year", type=click.IntRange(YEAR_MIN, 9998), default=2019, show_default=True)
@click.option("--keep", type=click.Path(file_okay=False), help="keep the demo's database and files in DIR")
@click.option("--no-progress", is_flag=True)
def demo_cmd(year: int, keep: str | None, no_progress: bool) -> None:
    """Replay a year shaped like the reference report through the sandbox; print the report paragraph."""
    from publisher.sandbox.demo import run_demo

    sys.exit(run_demo(year=year, keep=Path(keep) if keep else None, progress=not no_progress))


@main.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh"]))
def completion_cmd(shell: str) -> None:
    """Print the shell completion script: eval "$(publisher completion bash)" in ~/.bashrc (zsh: ~/.zshrc)."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    click.echo(cls(main, {}, "publisher", "_PUBLISHER_COMPLETE").source())


from publisher.cli.review import register as _register_review  # noqa: E402  (commands in their own module)

_register_review(main, item, series)
from publisher.cli.serve import serve as _serve  # noqa: E402
main.add_command(_serve)

from publisher.cli import report as report_cli  # noqa: E402  (the report and its registers: see report_cli)

main.add_command(report_cli.report)
main.add_command(report_cli.applications)
main.add_command(report_cli.appeals)
main.add_command(report_cli.backfill)
from publisher.cli import ops as ops_cli  # noqa: E402  (operations commands: backup, restore)
main.add_command(ops_cli.backup_cmd)
main.add_command(ops_cli.restore_cmd)

if __name__ == "__main__":
    main()
