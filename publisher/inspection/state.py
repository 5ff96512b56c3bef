"""What the inspection remembers per office (``inspection_state``): the fingerprint of the rules the last re-scan
used, and the last link check's summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from publisher.db.schema import inspection_state

RULES = "rules_fingerprint"
LINKS = "links"


def read(conn: Connection, office: str, name: str) -> dict | None:
    """``{"value", "at"}`` stored under ``name``, or None."""
    row = conn.execute(select(inspection_state.c.value, inspection_state.c.at).where(and_(
        inspection_state.c.office == office, inspection_state.c.name == name))).first()
    return {"value": row.value, "at": row.at} if row else None


def write(conn: Connection, office: str, name: str, value: Any, at: datetime) -> None:
    """Store ``value`` under ``name`` (replacing what was there)."""
    where = and_(inspection_state.c.office == office, inspection_state.c.name == name)
    if conn.execute(update(inspection_state).where(where).values(value=value, at=at)).rowcount == 0:
        conn.execute(insert(inspection_state).values(office=office, name=name, value=value, at=at))
