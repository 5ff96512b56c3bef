"""Standing approvals: an approver approves a series' template once; its occurrences then need no daily review.

The approval is bound to a digest of everything that shapes an occurrence (title and body templates, category,
channels, department); when the configured template changes, the approval no longer applies and is revoked
with a logged reason the first time an occurrence meets it.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import Connection, and_, insert, select, update

from publisher.runtime.app import App
from publisher.db.engine import reading
from publisher.foundation.i18n import _
from publisher.errors import InputError, NotFound, Refused
from publisher.ledger.event_kinds import EventKind
from publisher.review.workflow import ReviewState
from publisher.db.schema import standing_approvals
from publisher.accounts.users import Actor, Role


def template_digest(app: App, name: str) -> str:
    """The digest of what series ``name`` publishes every time."""
    series = app.config.series.get(name)
    if series is None:
        raise NotFound(_("no series named {name!r} (configured: {value})").format(
                           name=name, value=', '.join(app.config.series) or 'none'))
    shape = {"title": series.title, "body": series.body_source, "category": series.category,
             "channels": list(getattr(series, "channels", None) or []),
             "department": getattr(series, "department", "") or ""}
    return hashlib.sha256(json.dumps(shape, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def _active(conn: Connection, office: str, name: str):
    return conn.execute(select(standing_approvals).where(and_(
        standing_approvals.c.office == office, standing_approvals.c.series == name,
        standing_approvals.c.revoked_at.is_(None))).order_by(standing_approvals.c.id.desc())).mappings().first()


def grant(app: App, actor: Actor, name: str, *, comment: str = "") -> dict:
    """An approver approves the series' current template for all its occurrences."""
    if not actor.is_user or actor.role is not Role.APPROVER:
        raise Refused("role", _("only an approver grants a standing approval (give --as APPROVER)"))
    digest = template_digest(app, name)
    now = app.clock.now()
    with app.store.transaction() as conn:
        current = _active(conn, actor.office, name)
        if current is not None and current["template_sha256"] == digest:
            return dict(current)
        if current is not None:
            conn.execute(update(standing_approvals).where(standing_approvals.c.id == current["id"])
                         .values(revoked_at=now, revoked_reason="replaced by a new approval"))
        conn.execute(insert(standing_approvals).values(office=actor.office, series=name, template_sha256=digest,
                                                       granted_by=actor.name, granted_at=now))
        app.store.event(conn, EventKind.STANDING_APPROVAL_GRANTED, actor=actor.name, office=actor.office, series=name,
                        template_sha256=digest, comment=comment or None)
        return dict(_active(conn, actor.office, name))


def revoke(app: App, actor: Actor, name: str, *, reason: str) -> None:
    """Withdraw a series' standing approval: its occurrences go to review again."""
    if not actor.is_user or actor.role is not Role.APPROVER:
        raise Refused("role", _("only an approver revokes a standing approval (give --as APPROVER)"))
    if not reason.strip():
        raise InputError(_("say why"), field="--reason")
    template_digest(app, name)
    with app.store.transaction() as conn:
        current = _active(conn, actor.office, name)
        if current is None:
            raise NotFound(_("series {name!r} has no standing approval").format(name=name))
        conn.execute(update(standing_approvals).where(standing_approvals.c.id == current["id"])
                     .values(revoked_at=app.clock.now(), revoked_reason=reason))
        app.store.event(conn, EventKind.STANDING_APPROVAL_REVOKED, actor=actor.name, office=actor.office, series=name,
                        reason=reason)


def state_for_occurrence(app: App, conn: Connection, name: str,
                         office: str) -> tuple[ReviewState, int | None, str | None]:
    """(review state, step, granted_by) for a new occurrence of ``name``, inside the runner's transaction."""
    if not app.config.review.enabled:
        return ReviewState.APPROVED, None, None
    current = _active(conn, office, name)
    if current is not None and current["template_sha256"] == template_digest(app, name):
        return ReviewState.APPROVED, None, current["granted_by"]
    if current is not None:  # the template changed since it was approved
        conn.execute(update(standing_approvals).where(standing_approvals.c.id == current["id"])
                     .values(revoked_at=app.clock.now(), revoked_reason="the series' template changed"))
        app.store.event(conn, EventKind.STANDING_APPROVAL_REVOKED, actor="publisher", office=office, series=name,
                        reason="the series' template changed")
    return ReviewState.IN_REVIEW, 0, None


def status(app: App, office: str, name: str) -> dict | None:
    """The series' standing approval if one is in force for its current template."""
    with reading(app.store.engine) as conn:
        current = _active(conn, office, name)
    if current is None or current["template_sha256"] != template_digest(app, name):
        return None
    return {"granted_by": current["granted_by"], "granted_at": current["granted_at"]}
