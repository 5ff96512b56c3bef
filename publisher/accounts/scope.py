"""Office scoping: an actor sees and acts on the items of their own office only."""

from __future__ import annotations

from sqlalchemy import Connection, select

from publisher.accounts.users import Actor
from publisher.db.schema import items
from publisher.errors import NotFound
from publisher.foundation.i18n import _


def item_in_office(conn: Connection, actor: Actor, item_id: int) -> dict:
    """The item's row if it belongs to the actor's office; NotFound otherwise (another office's item is not shown)."""
    row = conn.execute(select(items).where(items.c.id == item_id)).mappings().first()
    if row is None or row["office"] != actor.office:
        raise NotFound(_("no item with id {id}").format(id=item_id))
    return dict(row)
