"""``publisher user``: users of the console and the review, and their API tokens."""

from __future__ import annotations

import sys

import click

from publisher.cli.helpers import echo_json
from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.foundation.textwidth import pad


@click.group("user")
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
    from publisher.accounts.users import Role, add_user, count_admins, list_users, require_first_admin

    app = obj.app()
    actor = obj.actor()
    require_first_admin(app.store, role)
    office = office or actor.office
    # the operator's shell (no --as) may add a new office's first admin; an office with users has its own admins
    first_admin = not actor.is_user and role == Role.ADMIN and not list_users(app.store, office)
    _require_admin(app, actor, first_user_ok=first_admin or count_admins(app.store) == 0)
    password = _read_password() if password_stdin else None
    if actor.is_user and office != actor.office:
        from publisher.errors import Refused

        raise Refused("office", _("{name} administers office {office}, not {other}").format(
                                    name=actor.name, office=actor.office, other=office))
    from publisher.accounts.passwords import policy_for

    row = add_user(app.store, name, role, office, display_name=display_name, password=password,
                   created_by=actor.name, policy=policy_for(app.config))
    if as_json:
        echo_json({"name": row["name"], "role": row["role"], "office": row["office"]})
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
        echo_json([{k: r[k] for k in ("name", "display_name", "role", "office", "disabled", "has_password")}
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

    app, actor, row = _administering(obj, name, self_allowed=False)
    set_disabled(app.store, name, True, actor=actor.name, office=row["office"])
    click.echo(_("disabled {name}").format(name=name))


@user.command("password")
@click.argument("name")
@click.pass_obj
def user_password(obj, name: str) -> None:
    """Set a user's console password, read from standard input (admins, or the user for themselves)."""
    from publisher.accounts.users import set_password

    from publisher.accounts.passwords import policy_for

    app, actor, row = _administering(obj, name, self_allowed=True)
    set_password(app.store, name, _read_password(), actor=actor.name, office=row["office"],
                 policy=policy_for(app.config))
    click.echo(_("password set for {name}").format(name=name))


@user.command("token")
@click.argument("name")
@click.option("--name", "label", default="", help="what the token is for (e.g. 网站同步脚本)")
@click.option("--expires", "days", type=click.FloatRange(min=0, min_open=True, max=3650), default=None,
              help="days until it expires (default: console.token_days)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_token(obj, name: str, label: str, days: float | None, as_json: bool) -> None:
    """Issue an API token for NAME and print it once (only its digest is kept)."""
    from publisher.accounts.users import list_tokens, new_token

    app, actor, row = _administering(obj, name, self_allowed=True)
    days = days if days is not None else app.config.console.token_days
    token = new_token(app.store, name, actor=actor.name, office=row["office"], label=label, expires_days=days)
    if as_json:
        echo_json({"token": token, **_token_json(list_tokens(app.store, name, row["office"])[0])})
    else:
        click.echo(token)


@user.command("tokens")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_tokens(obj, name: str, as_json: bool) -> None:
    """NAME's API tokens: id, name, created, expires, last used, revoked (never the token itself)."""
    from publisher.accounts.users import list_tokens

    app, _actor, row = _administering(obj, name, self_allowed=True)
    rows = [_token_json(r) for r in list_tokens(app.store, name, row["office"])]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:>6}  {pad(r['name'] or '-', 20)} "
                   + _("created {created}, expires {expires}, last used {used}").format(
                       created=r["created_at"], expires=r["expires_at"] or _("never"), used=r["last_used_at"] or "-")
                   + ("  " + _("(revoked)") if r["revoked_at"] else ""))
    if not rows:
        click.echo(_("(no tokens)"))


@user.command("revoke-token")
@click.argument("token_id", type=click.IntRange(1, 2**63 - 1))
@click.pass_obj
def user_revoke_token(obj, token_id: int) -> None:
    """Revoke one API token by its id (from `user tokens NAME`)."""
    from publisher.accounts.users import revoke_token, token_owner

    from publisher.errors import NotFound

    app = obj.app()
    owner = token_owner(app.store, token_id)
    if obj.actor().is_user and owner["office"] != obj.actor().office:  # another office's token is not there at all
        raise NotFound(_("no token {id}").format(id=token_id))
    _app, actor, _row = _administering(obj, owner["name"], self_allowed=True, office=owner["office"])
    if revoke_token(app.store, token_id, actor=actor.name):
        click.echo(_("revoked token {id}").format(id=token_id))
    else:
        click.echo(_("token {id} was revoked already").format(id=token_id))


def _token_json(row: dict) -> dict:
    return {"id": row["id"], "name": row["name"],
            **{k: row[k].isoformat() if row[k] else None
               for k in ("created_at", "expires_at", "last_used_at", "revoked_at")}}


def _administering(obj, name: str, *, self_allowed: bool, office: str | None = None):
    """(app, actor, user row) when the actor may manage user ``name``: an admin of the same office (only that
    office's users are looked up), or (where allowed) the user themselves; the operator's shell: any office's
    (``--office`` where the name is in several)."""
    from publisher.accounts.users import get_user

    app = obj.app()
    actor = obj.actor()
    if not (self_allowed and actor.is_user and name == actor.name):
        _require_admin(app, actor)
    if actor.is_user:
        return app, actor, get_user(app.store, name, actor.office)
    return app, actor, get_user(app.store, name, office or obj.office, prefer=actor.office)
