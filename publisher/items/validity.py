"""``item validity``: a record's 有效性 over time (有效 / 失效 / 废止, with the date, the basis and the newer record
that replaced it). A person's decision, taken by an approver or an admin: recorded in the audit chain, and every
channel copy that can be updated shows the new status and the notice; the others are listed as left, with why."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update

from publisher.accounts.scope import item_in_office
from publisher.accounts.users import Actor, Role
from publisher.db.schema import items
from publisher.delivery import record_copies
from publisher.errors import InputError, NotFound, Refused
from publisher.foundation.i18n import _
from publisher.items.catalogue import TEXT_LIMITS, Validity, parse_date
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.item_status import ItemStatus
from publisher.runtime.app import App


def _checked(app: App, status: str, on: Any, basis: str | None) -> tuple[Validity, date, str]:
    values = [v.value for v in Validity]
    if status not in values:
        raise InputError(_("{value!r} is not one of {choices}").format(value=status, choices="、".join(values)),
                         field="set")
    day = parse_date(on, "on")
    if day is None:
        raise InputError(_("give the date (YYYY-MM-DD)"), field="on")
    if day > app.clock.now().astimezone(app.config.tz).date():
        raise InputError(_("a change of validity cannot be dated in the future ({day})").format(day=day), field="on")
    basis = (basis or "").strip()
    if not basis:
        raise InputError(_("give the basis of the change (e.g. the repealing document)"), field="basis")
    if len(basis) > TEXT_LIMITS["validity_basis"]:
        raise InputError(_("at most {limit} characters").format(limit=TEXT_LIMITS["validity_basis"]), field="basis")
    return Validity(status), day, basis


def _newer(conn, actor: Actor, row: dict, by: int | None, status: Validity) -> int | None:
    if by is None:
        return None
    if status is Validity.VALID:
        raise InputError(_("a record in force is not replaced by another"), field="by")
    try:
        newer = item_in_office(conn, actor, by)
    except NotFound:
        raise InputError(_("item {id} is not an item of the office").format(id=by), field="by") from None
    is_newer = (newer["written_on"] or newer["created_at"].date()) >= (row["written_on"] or row["created_at"].date())
    if newer["id"] == row["id"] or newer["status"] != ItemStatus.ACTIVE or not is_newer:
        raise InputError(_("item {id} is not a newer record of the office").format(id=by), field="by")
    return newer["id"]


def set_validity(app: App, actor: Actor, item_id: int, status: str, on: Any, basis: str | None,
                 by: int | None = None) -> dict:
    """Record the record's new validity and bring its copies up to date; returns what ``item validity`` shows."""
    actor.require(not actor.is_user or actor.role in (Role.APPROVER, Role.ADMIN), "role",
                  _("only an approver or an admin changes the validity of a record"))
    validity, day, basis = _checked(app, status, on, basis)
    with app.store.transaction() as conn:
        row = item_in_office(conn, actor, item_id)
        if row["status"] != ItemStatus.ACTIVE:
            raise Refused("retracted", _("item {id} was retracted").format(id=item_id))
        newer = _newer(conn, actor, row, by, validity)
        conn.execute(update(items).where(items.c.id == item_id).values(
            validity=validity.value, validity_on=day, validity_basis=basis, superseded_by=newer))
        app.store.event(conn, EventKind.VALIDITY_CHANGED, actor=actor.name, item_id=item_id, office=row["office"],
                        validity=validity.value, previous=row["validity"], on=day.isoformat(), basis=basis,
                        superseded_by=newer)
        copies = record_copies.refresh(app, conn, item_id, actor.name)
        index_no = conn.execute(select(items.c.index_no).where(items.c.id == item_id)).scalar()
    return {"id": item_id, "index_no": index_no, "validity": validity.value, "validity_on": day.isoformat(),
            "validity_basis": basis, "superseded_by": newer, "updated": list(copies.updated),
            "left": [{"channel": c, "reason": r} for c, r in copies.left]}
