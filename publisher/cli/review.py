"""``publisher review``: review before publishing (三审): submit, approve, reject, look."""

from __future__ import annotations

import click

from publisher.cli.helpers import echo_json, local_time, print_review
from publisher.cli.types import ITEM_ID
from publisher.foundation.i18n import _
from publisher.foundation.textwidth import fit, pad


@click.group("review")
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
        echo_json(rows)
        return
    for r in rows:
        step = f"{r['step']['name']}" if r["step"] else r["state"]
        click.echo(f"{r['id']:>6}  {local_time(app, r['publish_at'])}  {pad(step, 8)} {fit(r['title'], 50)}"
                   + ("  " + _("(late)") if r["late"] else "") + ("  " + _("(step overdue since {day})").format(
                       day=r["due_on"]) if r.get("overdue") else ""))
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
        echo_json(data)
        return
    print_review(app, data)


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
@click.option("--with-interpretations", "paired", is_flag=True,
              help="approve the policy's 解读 waiting at the same step with it")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def review_approve(obj, item_id: int, comment: str, override: str | None, paired: bool, as_json: bool) -> None:
    """Approve the step the item waits for; the last approval releases it to the channels."""
    from publisher.review.workflow import approve

    data = approve(obj.app(), obj.actor(), item_id, comment=comment, override=override, with_interpretations=paired)
    _decided(obj, data, as_json)
    if not as_json:
        for other in data.get("interpretations", []):
            _decided(obj, other, False)


@review.command("reject")
@click.argument("item_id", type=ITEM_ID)
@click.option("--comment", required=True, help="why: the editor reads it")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def review_reject(obj, item_id: int, comment: str, as_json: bool) -> None:
    """Return the item to its editor with a comment."""
    from publisher.review.workflow import reject

    _decided(obj, reject(obj.app(), obj.actor(), item_id, comment=comment), as_json)


@review.command("reschedule")
@click.argument("item_id", type=ITEM_ID)
@click.option("--at", "at", required=True, help="the new publish time (ISO 8601; without an offset, office time)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def review_reschedule(obj, item_id: int, at: str, as_json: bool) -> None:
    """Give an item a new publish time (an item past its time in review); approvals already given go back."""
    from publisher.items.editing import reschedule

    _decided(obj, reschedule(obj.app(), obj.actor(), item_id, at), as_json)


def _decided(obj, data: dict, as_json: bool) -> None:
    if as_json:
        echo_json(data)
        return
    step = data["step"]
    click.echo(f"#{data['id']} {_(data['state'])}"
               + (_(": next {name} ({role})").format(name=step["name"], role=_(step["role"])) if step else ""))
