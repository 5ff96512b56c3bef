"""Where an account's closure (停更) stands (``channel_closures.state``) and the moves allowed between the states.

The guided action lives in :mod:`publisher.channel_registry.closing`; the states are here, below it, so the intake
(which refuses new items for a closing or closed account) and the runtime (which disables a closed one) can read
them.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

from publisher.db.schema import channel_closures


class ClosureState(StrEnum):
    """``closing``: the 停更公告 is queued and goes through review; ``closed``: it was published, the channel is off."""

    CLOSING = "closing"
    CLOSED = "closed"


TRANSITIONS: dict[ClosureState | None, frozenset[ClosureState]] = {
    None: frozenset({ClosureState.CLOSING}),
    ClosureState.CLOSING: frozenset({ClosureState.CLOSED}),
    ClosureState.CLOSED: frozenset(),
}


def allowed(current: ClosureState | None, to: ClosureState) -> bool:
    """Whether a closure may move from ``current`` (None: no closure yet) to ``to``."""
    return to in TRANSITIONS[current]


def closure_states(conn: Connection) -> dict[str, ClosureState]:
    """Channel name → its closure state, for every channel being closed or closed (empty on a database without
    the table, e.g. the empty one ``tally`` reads when there is no database yet)."""
    try:
        rows = conn.execute(select(channel_closures.c.channel, channel_closures.c.state)).all()
    except SQLAlchemyError:
        return {}
    return {name: ClosureState(state) for name, state in rows}
