"""Who may change the registers and which dates they may give: one rule for the CLI and the console.

The registers belong to the configured office (the office whose report counts them): a user of another office
finds no record there. Editors and admins keep them (the operating-system account of the CLI too); a decided
appeal, a pause or an answer is never dated after today in the office's time zone.
"""

from __future__ import annotations

from datetime import date

from publisher.errors import InputError, NotFound
from publisher.foundation.i18n import _

RULE_ROLE = "role"


def of_office(table, office: str | None):
    """The WHERE for the rows of ``office``'s register (and rows written before registers had offices)."""
    from sqlalchemy import or_, true

    return true() if office is None else or_(table.c.office == office, table.c.office.is_(None))


def may_keep(actor) -> bool:
    """True for the CLI's operating-system account, an editor and an admin."""
    return not actor.is_user or actor.role.edits


def require_keeper(actor, office: str | None, missing: str) -> None:
    """NotFound(``missing``) for a user of another office; Refused(role) for a role that does not keep registers."""
    if office is not None and actor.office != office:
        raise NotFound(missing)
    actor.require(may_keep(actor), RULE_ROLE, _("only an editor or an admin keeps the registers of applications "
                                                "and appeals"))


def parse_day(text: str | None, field: str) -> date | None:
    """A YYYY-MM-DD date (None for nothing given); InputError naming ``field``."""
    if text is None or not str(text).strip():
        return None
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise InputError(_("{text!r} is not a date: use YYYY-MM-DD").format(text=text), field=field) from None


def not_future(day: date | None, today: date, field: str) -> date | None:
    """``day`` unless it is after ``today`` (office time): InputError naming ``field``."""
    if day is not None and day > today:
        raise InputError(_("{day} is in the future").format(day=day), field=field)
    return day
