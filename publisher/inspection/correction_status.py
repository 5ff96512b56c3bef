"""A correction task's states and the moves between them, in one place.

open ──(the re-scan no longer finds it: edited and updated, or retracted)──▶ corrected
  │
  └──(a person dismisses it, with a reason)──▶ dismissed
"""

from __future__ import annotations

from enum import StrEnum


class CorrectionStatus(StrEnum):
    """Where a correction task stands."""

    OPEN = "open"
    CORRECTED = "corrected"
    DISMISSED = "dismissed"


TRANSITIONS: dict[CorrectionStatus, frozenset[CorrectionStatus]] = {
    CorrectionStatus.OPEN: frozenset({CorrectionStatus.CORRECTED, CorrectionStatus.DISMISSED}),
    CorrectionStatus.CORRECTED: frozenset(),
    CorrectionStatus.DISMISSED: frozenset(),
}


def allowed(frm: str, to: CorrectionStatus) -> bool:
    """Whether a task in state ``frm`` may become ``to``."""
    return to in TRANSITIONS[CorrectionStatus(frm)]
