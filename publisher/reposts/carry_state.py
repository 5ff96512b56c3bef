"""Where one account stands on one task: an enum, and the one function that decides it."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class CarryState(StrEnum):
    """``carried``: on time; ``late``: carried after the deadline; ``open``: not yet, deadline ahead;
    ``missed``: not carried and the deadline has passed."""

    CARRIED = "carried"
    LATE = "late"
    OPEN = "open"
    MISSED = "missed"


def carry_state(carried_on: date | None, due_on: date, today: date) -> CarryState:
    """The state of an account from the day it carried the task (office time; None: not yet)."""
    if carried_on is not None:
        return CarryState.CARRIED if carried_on <= due_on else CarryState.LATE
    return CarryState.OPEN if today <= due_on else CarryState.MISSED
