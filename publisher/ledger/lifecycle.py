"""The one delivery lifecycle: statuses, the transitions allowed between them, and the one function that moves.

Every status write (dispatcher, editor actions, reconciliation, restore) goes through :func:`move`: a
compare-and-set on the delivery row (its status, and its version or its lease owner) and the matching event
appended to the audit chain in the same transaction. A move the table does not allow is a bug and raises.

``in_doubt`` with ``waiting_for = "operator"`` is the explicit operator wait: the channel cannot say whether an
earlier attempt arrived, so nothing happens until ``item settle`` or ``item retry``. The public status stays
``in_doubt`` so outside scripts keep working; ``item show`` prints it as ``in_doubt (waiting for operator)``.

An update (a newer approved revision replacing a published copy) keeps the delivery ``published``, as a
retraction in progress does: it is due while ``deliveries.revision`` is older than the item's approved revision
and ``update_state`` is NULL; :class:`UpdateState` names the two ways an update stops, moved by
:func:`move_update`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, and_, bindparam, literal_column, update

from publisher.ledger import audit
from publisher.foundation.redact import scrub, scrub_data
from publisher.foundation.i18n import N_
from publisher.db.prepared import Prepared
from publisher.db.schema import deliveries


class DeliveryStatus(StrEnum):
    """Where one delivery of one item to one channel stands (the names outside scripts see)."""

    PENDING = "pending"  # queued, not sent yet
    PUBLISHING = "publishing"  # claimed by a worker (leased)
    IN_DOUBT = "in_doubt"  # may have arrived: settled by look-up (or by an operator) before any re-send
    PUBLISHED = "published"
    FAILED = "failed"  # failed for now; retried after a backoff
    DEAD = "dead"  # given up; an operator may retry it
    RETRACTED = "retracted"  # cancelled before sending, or taken down


STATUS_NAMES = (N_("pending"), N_("publishing"), N_("in_doubt"), N_("published"), N_("failed"), N_("dead"),
                N_("retracted"), N_("active"))  # delivery statuses and an item's own, shown with _()


class WaitingFor(StrEnum):
    """Who an ``in_doubt`` delivery waits for (``deliveries.waiting_for``; NULL: for its next look-up)."""

    OPERATOR = "operator"


class UpdateState(StrEnum):
    """Why a published copy older than the item is not being updated (``deliveries.update_state``; NULL: it is
    current, or its update is due)."""

    LEFT = "left"  # the editor left the old copy there (``item edit --leave``; channels that cannot update)
    FAILED = "failed"  # the channel refused the update for good; ``item retry`` asks again


S = DeliveryStatus

#: Deliveries whose outcome is still open.
UNSETTLED = (S.PENDING, S.PUBLISHING, S.FAILED, S.IN_DOUBT)

#: Allowed moves. A claim leaves a published delivery ``published`` while it is taken down, and a pending one
#: ``pending`` while it is dropped; a restored database turns everything unsettled into ``in_doubt``. A claim
#: taken ahead and never sent (its channel paused meanwhile) goes back: ``publishing`` → ``pending``.
TRANSITIONS: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    S.PENDING: frozenset({S.PENDING, S.PUBLISHING, S.RETRACTED, S.IN_DOUBT}),
    S.FAILED: frozenset({S.FAILED, S.PUBLISHING, S.PENDING, S.PUBLISHED, S.RETRACTED, S.IN_DOUBT}),
    S.PUBLISHING: frozenset({S.PUBLISHING, S.PENDING, S.PUBLISHED, S.FAILED, S.DEAD, S.IN_DOUBT, S.RETRACTED}),
    S.IN_DOUBT: frozenset({S.IN_DOUBT, S.PUBLISHING, S.PENDING, S.PUBLISHED, S.RETRACTED}),
    S.PUBLISHED: frozenset({S.PUBLISHED, S.RETRACTED}),
    S.DEAD: frozenset({S.PENDING, S.PUBLISHED, S.RETRACTED}),
    S.RETRACTED: frozenset(),
}


#: Allowed moves of ``update_state`` (None: NULL). An edit leaves a copy or clears what an earlier one left;
#: a permanent refusal marks it failed; ``item retry`` or a later edit clears that.
UPDATE_TRANSITIONS: dict[UpdateState | None, frozenset[UpdateState | None]] = {
    None: frozenset({None, UpdateState.LEFT, UpdateState.FAILED}),
    UpdateState.LEFT: frozenset({None, UpdateState.LEFT}),
    UpdateState.FAILED: frozenset({None, UpdateState.LEFT, UpdateState.FAILED}),
}


class IllegalTransition(RuntimeError):
    """A move the lifecycle does not allow (a bug in the caller, never a user mistake)."""


def allowed(current: str, to: str) -> bool:
    """True when a delivery may move from ``current`` to ``to``."""
    return DeliveryStatus(to) in TRANSITIONS[DeliveryStatus(current)]


def move(conn: Connection, delivery_id: int, *, current: str, to: str, event: dict[str, Any] | None,
         version: int | None = None, owned_by: str | None = None, **values: Any) -> bool:
    """Compare-and-set one delivery from ``current`` to ``to`` and append ``event`` in the same transaction.

    The row must still be in ``current`` and have ``version`` (when given) and/or be leased by ``owned_by``
    (when given). ``values`` are the other columns to write. Returns False, writing nothing, when the row moved
    on meanwhile. ``event`` is a dict with ``kind``, ``actor``, ``at``, ``item_id``, ``channel`` and ``detail``.
    """
    if not allowed(current, to):
        raise IllegalTransition(f"delivery {delivery_id}: {current} → {to} is not a move the lifecycle allows")
    statement = _statement(tuple(sorted(values)), version is not None, owned_by is not None)
    params = {**_scrubbed(values), "status": DeliveryStatus(to).value, "b_id": delivery_id,
              "b_status": DeliveryStatus(current).value, "b_version": version, "b_owner": owned_by}
    if conn.execute(statement, params).rowcount != 1:
        return False
    if event is not None:
        audit.append(conn, [{**event, "delivery_id": delivery_id}])
    return True


def update_allowed(current: str | None, to: str | None) -> bool:
    """True when a delivery's ``update_state`` may move from ``current`` to ``to``."""
    return (UpdateState(to) if to else None) in UPDATE_TRANSITIONS[UpdateState(current) if current else None]


def move_update(conn: Connection, delivery_id: int, *, current: str | None, to: str | None,
                event: dict[str, Any] | None, **values: Any) -> bool:
    """Compare-and-set the ``update_state`` of a delivery (its status stays) and append ``event``.

    Returns False, writing nothing, when the row's ``update_state`` moved on meanwhile. The status and the lease
    are not touched: a worker holding the row finishes it as it would have.
    """
    if not update_allowed(current, to):
        raise IllegalTransition(f"delivery {delivery_id}: update {current} → {to} is not a move the lifecycle allows")
    d = deliveries
    same = d.c.update_state.is_(None) if current is None else d.c.update_state == current
    changed = conn.execute(update(d).where(and_(d.c.id == delivery_id, same))
                           .values(update_state=to, **_scrubbed(values))).rowcount
    if changed != 1:
        return False
    if event is not None:
        audit.append(conn, [{**event, "delivery_id": delivery_id}])
    return True


def move_many(conn: Connection, moves: list[dict[str, Any]], *, owned_by: str | None = None,
              by_version: bool = True) -> int:
    """Compare-and-set many deliveries in one statement; returns how many moved.

    Each move is a dict with ``id``, ``current``, ``to``, ``version`` (unless not ``by_version``), ``event`` and
    the same other columns as every other move (the values to write). Fewer moved than asked means some row
    moved on meanwhile and which is not known: the caller rolls back (see :func:`move_together`).
    """
    if not moves:
        return 0
    columns = tuple(sorted(k for k in moves[0] if k not in MOVE_KEYS))
    params = []
    for m in moves:
        if not allowed(m["current"], m["to"]):
            raise IllegalTransition(f"delivery {m['id']}: {m['current']} → {m['to']} is not a move the lifecycle "
                                    f"allows")
        params.append({**_scrubbed({c: m[c] for c in columns}), "status": DeliveryStatus(m["to"]).value, "b_id": m["id"],
                       "b_status": DeliveryStatus(m["current"]).value, "b_version": m.get("version"),
                       "b_owner": owned_by})
    moved = _prepared(columns, by_version, owned_by is not None).executemany(conn, params)
    audit.append(conn, [{**m["event"], "delivery_id": m["id"]} for m in moves if m["event"] is not None])
    return moved


MOVE_KEYS = frozenset({"id", "current", "to", "version", "event"})


def move_together(conn: Connection, moves: list[dict[str, Any]], *, owned_by: str) -> bool:
    """Move deliveries leased by ``owned_by`` (each guarded by its status and lease) in one statement: all of
    them, or — when some row moved on meanwhile — none, returning False (the caller then moves each alone)."""
    savepoint = conn.begin_nested()
    try:
        moved = move_many(conn, moves, owned_by=owned_by, by_version=False)
    except BaseException:
        savepoint.rollback()
        raise
    if moved == len(moves):
        savepoint.commit()
        return True
    savepoint.rollback()  # its events go with it (audit.follow_savepoints)
    return False


def event(kind: str, *, actor: str, at: datetime, item_id: int, channel: str, **detail: Any) -> dict[str, Any]:
    """An event row for :func:`move` (None values left out of the detail)."""
    return {"kind": kind, "actor": actor, "at": at, "item_id": item_id, "channel": channel,
            "detail": scrub_data({k: v for k, v in detail.items() if v is not None})}


def _scrubbed(values: dict[str, Any]) -> dict[str, Any]:
    """The columns to write with credentials in URLs masked (an error or an address a channel gave back)."""
    return {k: scrub(v) if k in SCRUBBED_COLUMNS else v for k, v in values.items()}


SCRUBBED_COLUMNS = frozenset({"last_error", "external_url", "external_id"})


@lru_cache(maxsize=128)
def _prepared(columns: tuple[str, ...], by_version: bool, by_owner: bool) -> Prepared:
    return Prepared(_statement(columns, by_version, by_owner))


@lru_cache(maxsize=128)
def _statement(columns: tuple[str, ...], by_version: bool, by_owner: bool):
    d = deliveries
    guard = [d.c.id == bindparam("b_id"), d.c.status == bindparam("b_status")]
    if by_version:
        guard.append(d.c.version == bindparam("b_version"))
    if by_owner:
        guard.append(d.c.lease_owner == bindparam("b_owner"))
    return update(d).where(and_(*guard)).values(
        {**{c: bindparam(c) for c in columns}, "status": bindparam("status"),
         "version": d.c.version + literal_column("1")})
