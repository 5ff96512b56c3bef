"""``publisher audit``: the audit log of the office, and ``audit verify`` for its chain."""

from __future__ import annotations

import json
import sys

import click

from publisher.cli.helpers import echo_json, local_time
from publisher.cli.types import ITEM_ID
from publisher.foundation.i18n import _


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
        echo_json([{k: r[k] for k in ("seq", "at", "kind", "actor", "item_id", "channel", "detail")} for r in rows])
        return
    for r in rows:
        detail = json.dumps(r["detail"], ensure_ascii=False) if r["detail"] else ""
        click.echo(f"{r['seq'] or '':>7} {local_time(app, r['at'])} {r['kind']:<18} {r['actor'][:24]:<24} "
                   f"{r['item_id'] or '':>6} {r['channel'] or '':<10} {detail[:80]}")


@audit.command("verify")
@click.pass_obj
def audit_verify(obj) -> None:
    """Check the audit chain, its key and checkpoints outside the database; exit 1 naming what broke."""
    from publisher.db.engine import reading
    from publisher.ledger.audit_checkpoints import verify_with_checkpoints

    app = obj.app()
    with reading(app.store.engine) as conn:
        checked, problem = verify_with_checkpoints(conn, app.config, at=app.clock.now())
    if problem:
        click.echo(_("audit chain broken: {problem} ({count} events before it are intact)").format(
            problem=problem.message, count=checked), err=True)
        sys.exit(1)
    click.echo(_("audit chain intact: {count} events").format(count=checked))
