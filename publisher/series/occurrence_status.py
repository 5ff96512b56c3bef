"""Where one occurrence of a series stands (``series_occurrences.status``) and the moves allowed between them."""

from __future__ import annotations

from enum import StrEnum


class OccurrenceStatus(StrEnum):
    """The status of one occurrence; ``queued`` is final, the others wait for data or tell why there is no item."""

    WAITING = "waiting"  # due, or waiting for its data until the deadline
    QUEUED = "queued"  # its item is queued (scheduled, or by hand with ``series run``)
    SKIPPED = "skipped"  # missed while nothing ran, and ``missed: skip``
    MISSING_DATA = "missing_data"  # the data was not there by the deadline
    FAILED = "failed"  # the source or the template is broken


#: the statuses a new occurrence row starts in: scheduled, missed and skipped, or queued by hand
NEW = frozenset({OccurrenceStatus.WAITING, OccurrenceStatus.SKIPPED, OccurrenceStatus.QUEUED})

#: a claim keeps an occurrence waiting; a manual run fulfils any occurrence that has no item yet
TRANSITIONS: dict[OccurrenceStatus, frozenset[OccurrenceStatus]] = {
    OccurrenceStatus.WAITING: frozenset({OccurrenceStatus.WAITING, OccurrenceStatus.QUEUED,
                                         OccurrenceStatus.MISSING_DATA, OccurrenceStatus.FAILED}),
    OccurrenceStatus.QUEUED: frozenset(),
    OccurrenceStatus.SKIPPED: frozenset({OccurrenceStatus.QUEUED}),
    OccurrenceStatus.MISSING_DATA: frozenset({OccurrenceStatus.QUEUED}),
    OccurrenceStatus.FAILED: frozenset({OccurrenceStatus.QUEUED}),
}

#: the statuses that say why an occurrence has no item (``series list`` shows the last of them)
PROBLEMS = (OccurrenceStatus.MISSING_DATA, OccurrenceStatus.FAILED, OccurrenceStatus.SKIPPED)


def can_move(current: str, to: OccurrenceStatus) -> bool:
    """Whether an occurrence in ``current`` may become ``to``."""
    return to in TRANSITIONS[OccurrenceStatus(current)]
