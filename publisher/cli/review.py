"""CLI verbs for users, review (三审), the gate, the audit chain, editing items and schema upgrades."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from publisher.cli.types import ITEM_ID
from publisher.foundation.i18n import _
from publisher.foundation.textwidth import fit, pad
from publisher.errors import InputError


def _echo_json(data: Any) -> None:
    from publisher.cli.main import _echo_json as echo

    echo(data)


def _local(app, when) -> str:
    return when.astimezone(app.config.tz).strftime("%Y-%m-%d %H:%M") if when else ""


# -- users --------------------------------------------------------------------------------------------------
@click.group()
def user() -> None:
    """Users of the console and the review: add, list, disable; API tokens."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["editor", "reviewer", "approver", "admin"]))
@click.option("--office", default=None, help="the office's code (default: office.code of the configuration)")
@click.option("--display-name", default="", help="the name shown in the console (e.g. 张三)")
@click.option("--password-stdin", is_flag=True, help="read a console password from standard input")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_add(obj, name: str, role: str, office: str | None, display_name: str, password_stdin: bool,
             as_json: bool) -> None:
    """Add a user with a role in an office."""
    from publisher.accounts.users import add_user, count_users

    app = obj.app()
    actor = obj.actor()
    _require_admin(app, actor, first_user_ok=count_users(app.store) == 0)
    password = _read_password() if password_stdin else None
    office = office or (actor.office if actor.is_user else app.config.office.code)
    if actor.is_user and office != actor.office:
        from publisher.errors import Refused

        raise Refused("office", _("{name} administers office {office}, not {other}").format(
                                    name=actor.name, office=actor.office, other=office))
    row = add_user(app.store, name, role, office, display_name=display_name, password=password,
                   created_by=actor.name)
    if as_json:
        _echo_json({"name": row["name"], "role": row["role"], "office": row["office"]})
    else:
        click.echo(_("added {name} ({role}, office {office})").format(name=row["name"], role=row["role"],
                                                                         office=row["office"]))


def _read_password() -> str:
    text = sys.stdin.readline().rstrip("\r\n")
    if not text:
        raise InputError(_("nothing was read from standard input"), field="--password-stdin")
    return text


def _require_admin(app, actor, *, first_user_ok: bool = False) -> None:
    """User administration is for admins; before any user exists the operating-system account may add the first."""
    from publisher.errors import Refused
    from publisher.accounts.users import Role

    if first_user_ok:
        return
    if not actor.is_user or actor.role is not Role.ADMIN:
        raise Refused("admin", _("only an admin manages users (give --as ADMIN_NAME)"))


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_list(obj, as_json: bool) -> None:
    """The users of your office (all offices for the operating-system account)."""
    from publisher.accounts.users import list_users

    app = obj.app()
    actor = obj.actor()
    rows = list_users(app.store, actor.office if actor.is_user else None)
    if as_json:
        _echo_json([{k: r[k] for k in ("name", "display_name", "role", "office", "disabled", "has_password")}
                    for r in rows])
        return
    for r in rows:
        click.echo(f"{pad(r['name'], 20)} {pad(r['role'], 9)} {pad(r['office'], 12)} {r['display_name']}"
                   + ("  " + _("(disabled)") if r["disabled"] else ""))
    if not rows:
        click.echo(_("(no users: add the first admin with `publisher user add NAME --role admin`)"))


@user.command("disable")
@click.argument("name")
@click.pass_obj
def user_disable(obj, name: str) -> None:
    """Disable a user: no more actions, logins or API calls."""
    from publisher.accounts.users import set_disabled

    app, actor = _administering(obj, name, self_allowed=False)
    set_disabled(app.store, name, True, actor=actor.name)
    click.echo(_("disabled {name}").format(name=name))


@user.command("password")
@click.argument("name")
@click.pass_obj
def user_password(obj, name: str) -> None:
    """Set a user's console password, read from standard input (admins, or the user for themselves)."""
    from publisher.accounts.users import set_password

    app, actor = _administering(obj, name, self_allowed=True)
    set_password(app.store, name, _read_password(), actor=actor.name)
    click.echo(_("password set for {name}").format(name=name))


@user.command("token")
@click.argument("name")
@click.pass_obj
def user_token(obj, name: str) -> None:
    """Issue an API token for NAME and print it once (only its digest is kept)."""
    from publisher.accounts.users import new_token

    app, actor = _administering(obj, name, self_allowed=True)
    click.echo(new_token(app.store, name, actor=actor.name))


def _administering(obj, name: str, *, self_allowed: bool):
    """(app, actor) when the actor may manage user ``name``: an admin of the same office, or (where allowed) the
    user themselves."""
    from publisher.accounts.users import get_user

    app = obj.app()
    actor = obj.actor()
    if not (self_allowed and actor.name == name):
        _require_admin(app, actor)
        _same_office(actor, get_user(app.store, name))
    return app, actor


def _same_office(actor, row: dict) -> None:
    from publisher.errors import NotFound

    if actor.is_user and row["office"] != actor.office:
        raise NotFound(_("no user named {name!r}").format(name=row['name']))


# -- review -------------------------------------------------------------------------------------------------
@click.group()
def review() -> None:
    """Review before publishing (三审): submit, approve, reject, look."""


@review.command("list")
@click.option("--mine", is_flag=True, help="only what waits for me (my steps, my rejected drafts)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def review_list(obj, mine: bool, as_json: bool) -> None:
    """Items in review, drafts and rejected items of your office."""
    from publisher.review.workflow import inbox

    app = obj.app()
    rows = inbox(app, obj.actor(), mine=mine)
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        step = f"{r['step']['name']}" if r["step"] else r["state"]
        click.echo(f"{r['id']:>6}  {_local(app, r['publish_at'])}  {pad(step, 8)} {fit(r['title'], 50)}"
                   + ("  " + _("(late)") if r["late"] else ""))
    if not rows:
        click.echo(_("(nothing waiting)"))


@review.command("show")
@click.argument("item_id", type=ITEM_ID)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def review_show(obj, item_id: int, as_json: bool) -> None:
    """The item's review: state, the step it waits for, the history, the gate's findings."""
    from publisher.review.workflow import show

    app = obj.app()
    data = show(app, obj.actor(), item_id)
    if as_json:
        _echo_json(data)
        return
    _print_review(app, data)


def _print_review(app, data: dict) -> None:
    step = data["step"]
    click.echo(f"#{data['id']} {_(data['state'])}"
               + (_(": waiting for {name} ({role})").format(name=step["name"], role=_(step["role"])) if step else "")
               + (_(" — late") if data["late"] else "") + (_(" — held for a new time") if data["held"] else ""))
    for h in data["history"]:
        note = f" — {h['comment']}" if h["comment"] else ""
        override = _(" [override: {override}]").format(override=h["override"]) if h["override"] else ""
        click.echo(f"  {_local(app, h['at'])}  {pad(_(h['decision']), 10)} {pad(h['step'] or '', 6)} {h['user']}"
                   f"{note}{override}")
    from publisher.items.checking import shown_finding

    for f in map(shown_finding, data["findings"]):
        click.echo("  " + _("gate: {kind} in {field} ({where}): {text}").format(
            kind=f["kind"], field=f["field"], where=f["where"], text=f["text"])
                   + (f" → {f['suggestion']}" if f["suggestion"] else ""))
    for name in data["unchecked"]:
        click.echo("  " + _("gate: {name} not checked (image or scanned): confirm it by eye").format(name=name))


@review.command("submit")
@click.argument("item_id", type=ITEM_ID)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def review_submit(obj, item_id: int, as_json: bool) -> None:
    """Send a draft (or a rejected item) to its first review step."""
    from publisher.review.workflow import submit

    _decided(obj, submit(obj.app(), obj.actor(), item_id), as_json)


@review.command("approve")
@click.argument("item_id", type=ITEM_ID)
@click.option("--comment", default="")
@click.option("--override", default=None, metavar="REASON", help="approve despite the gate's findings (logged)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def review_approve(obj, item_id: int, comment: str, override: str | None, as_json: bool) -> None:
    """Approve the step the item waits for; the last approval releases it to the channels."""
    from publisher.review.workflow import approve

    _decided(obj, approve(obj.app(), obj.actor(), item_id, comment=comment, override=override), as_json)


@review.command("reject")
@click.argument("item_id", type=ITEM_ID)
@click.option("--comment", required=True, help="why: the editor reads it")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def review_reject(obj, item_id: int, comment: str, as_json: bool) -> None:
    """Return the item to its editor with a comment."""
    from publisher.review.workflow import reject

    _decided(obj, reject(obj.app(), obj.actor(), item_id, comment=comment), as_json)


def _decided(obj, data: dict, as_json: bool) -> None:
    if as_json:
        _echo_json(data)
        return
    step = data["step"]
    click.echo(f"#{data['id']} {_(data['state'])}"
               + (_(": next {name} ({role})").format(name=step["name"], role=_(step["role"])) if step else ""))


# -- the gate -----------------------------------------------------------------------------------------------
@click.command("check")
@click.argument("item_id", type=ITEM_ID, required=False)
@click.option("--title", default=None)
@click.option("--summary", default="")
@click.option("--body-file", type=click.Path(dir_okay=False), default=None)
@click.option("--encoding", default=None, help="encoding of --body-file when it is not UTF-8 (e.g. gbk)")
@click.option("--attach", multiple=True, type=click.Path(dir_okay=False), metavar="FILE")
@click.option("--mask", is_flag=True, help="with ID: replace the item by a de-identified copy (a new revision)")
@click.option("--leave", multiple=True, metavar="CHANNEL",
              help="with --mask on a published item: leave the old version on this channel (as item edit --leave)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def check(obj, item_id: int | None, title: str | None, summary: str, body_file: str | None, encoding: str | None,
          attach: tuple[str, ...], mask: bool, leave: tuple[str, ...], as_json: bool) -> None:
    """The gate alone (保密审查, personal data, 错敏词): on an item, or on a title and files. Exit 1 on findings."""
    from publisher.items import checking as gate_check

    app = obj.app()
    if item_id is not None:
        if title is not None or body_file or attach:
            raise InputError(_("give an item id or --title/--body-file/--attach, not both"), field="ID")
        actor = obj.actor()
        data = (gate_check.mask_stored_item(app, actor, item_id, leave=list(leave)) if mask
                else gate_check.check_stored_item(app, actor, item_id))
    else:
        if mask:
            raise InputError(_("--mask makes a new revision of an item: give its id"), field="--mask")
        if title is None and not body_file and not attach:
            raise InputError(_("give an item id, or --title and/or --body-file/--attach"), field="ID")
        data = _check_files(app, title or "", summary, body_file, encoding, list(attach))
    if as_json:
        _echo_json(data)
    else:
        if "masked" in data:
            click.echo(_("masked {count} number(s); now revision {revision}").format(count=data["masked"],
                                                                                   revision=data["revision"]))
            for name in data["not_masked"]:
                click.echo("  " + _("{name}: could not be rewritten (PDF or image): replace it by "
                                    "hand").format(name=name))
        from publisher.items.checking import shown_finding

        for f in map(shown_finding, data["findings"]):
            click.echo(f"{pad(f['kind'], 14)} {f['field']} ({f['where']}): {f['text']}"
                       + (f" → {f['suggestion']}" if f["suggestion"] else ""))
        for name in data["unchecked"]:
            click.echo(_("not checked    {name}").format(name=name))
        if not data["findings"]:
            click.echo(_("clean") + (" " + _("({count} attachment(s) not checked)").format(count=len(data["unchecked"]))
                                     if data["unchecked"] else ""))
    sys.exit(1 if data["findings"] else 0)


def _check_files(app, title: str, summary: str, body_file: str | None, encoding: str | None,
                 attach: list[str]) -> dict:
    from publisher.items import checking as gate_check
    from publisher.foundation.content import decode_text

    body = ""
    if body_file:
        path = Path(body_file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(_("cannot read {path}: {reason}").format(path=path, reason=exc.strerror),
                             field="--body-file") from None
        body = decode_text(data, source=str(path), encoding=encoding)
    files = []
    for name in attach:
        path = Path(name)
        if not path.is_file():
            raise InputError(_("file not found: {path}").format(path=path), field="--attach")
        files.append((path.name, path))
    return gate_check.run(app, title=title, summary=summary, body_html=body, files=files).to_json()


# -- audit --------------------------------------------------------------------------------------------------
@click.group("audit", invoke_without_command=True)
@click.option("--item", "item_id", type=ITEM_ID, default=None)
@click.option("--user", "user_name", default=None)
@click.option("--since", default=None, metavar="ISO8601")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def audit(ctx, item_id: int | None, user_name: str | None, since: str | None, limit: int, as_json: bool) -> None:
    """The audit log (newest first) of your office; `audit verify` checks the chain."""
    if ctx.invoked_subcommand is not None:
        return
    from publisher.ledger import audit as chain
    from publisher.db.engine import reading
    from publisher.items.intake import parse_time

    obj = ctx.obj
    app = obj.app()
    actor = obj.actor()
    when = parse_time(since, app, field_name="--since") if since else None
    with reading(app.store.engine) as conn:
        if item_id is not None:
            from publisher.accounts.scope import item_in_office

            item_in_office(conn, actor, item_id)
        rows = chain.query(conn, office=actor.office, item_id=item_id, actor=user_name, since=when, limit=limit)
    if as_json:
        _echo_json([{k: r[k] for k in ("seq", "at", "kind", "actor", "item_id", "channel", "detail")} for r in rows])
        return
    for r in rows:
        detail = json.dumps(r["detail"], ensure_ascii=False) if r["detail"] else ""
        click.echo(f"{r['seq'] or '':>7} {_local(app, r['at'])} {r['kind']:<18} {r['actor'][:24]:<24} "
                   f"{r['item_id'] or '':>6} {r['channel'] or '':<10} {detail[:80]}")


@audit.command("verify")
@click.pass_obj
def audit_verify(obj) -> None:
    """Check the audit chain; exit 1 naming the first event altered or missing."""
    from publisher.ledger import audit as chain
    from publisher.db.engine import reading

    app = obj.app()
    with reading(app.store.engine) as conn:
        checked, problem = chain.verify(conn)
    if problem:
        click.echo(_("audit chain broken: {problem} ({count} events before it are intact)").format(
            problem=problem.message, count=checked), err=True)
        sys.exit(1)
    click.echo(_("audit chain intact: {count} events").format(count=checked))


# -- editing ------------------------------------------------------------------------------------------------
@click.command("edit")
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
        _echo_json(data)
    else:
        _print_review(app, data)


# -- standing approvals of series ---------------------------------------------------------------------------
@click.command("approve")
@click.argument("name")
@click.option("--comment", default="")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def series_approve(obj, name: str, comment: str, as_json: bool) -> None:
    """Approve a series' template once for all its occurrences (a standing approval; an approver does it)."""
    from publisher.review.standing import grant

    row = grant(obj.app(), obj.actor(), name, comment=comment)
    if as_json:
        _echo_json({"series": name, "granted_by": row["granted_by"], "granted_at": row["granted_at"]})
    else:
        click.echo(_("{name}: standing approval by {user}; it lapses when the template changes").format(
            name=name, user=row["granted_by"]))


@click.command("revoke")
@click.argument("name")
@click.option("--reason", required=True)
@click.pass_obj
def series_revoke(obj, name: str, reason: str) -> None:
    """Withdraw a series' standing approval: its occurrences go through review again."""
    from publisher.review.standing import revoke

    revoke(obj.app(), obj.actor(), name, reason=reason)
    click.echo(_("{name}: standing approval revoked").format(name=name))


# -- schema -------------------------------------------------------------------------------------------------
@click.command("migrate")
@click.pass_obj
def migrate_cmd(obj) -> None:
    """Bring the database's schema up to date (a backup first is wise: `publisher backup FILE`)."""
    from publisher.config.load import load_config
    from publisher.db.engine import make_engine
    from publisher.db.migrations import head, migrate

    cfg = load_config(obj.config_path)
    engine = make_engine(cfg.database_url, migrate_schema=False)
    try:
        migrate(engine, office=cfg.office.code)
    finally:
        engine.dispose()
    click.echo(_("schema at revision {revision}").format(revision=head()))


def register(main: click.Group, item: click.Group, series: click.Group) -> None:
    """Attach these commands to the ``publisher`` group and its ``item`` and ``series`` groups."""
    for command in (user, review, check, audit, migrate_cmd):
        main.add_command(command)
    item.add_command(item_edit)
    series.add_command(series_approve)
    series.add_command(series_revoke)
