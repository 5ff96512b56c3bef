"""The states of items, reviews and series occurrences are named once, with their moves: every state has its row
of allowed moves, a move the table does not allow is refused, and the notices are keyed by event kinds."""

from __future__ import annotations

import pytest

from publisher.errors import Refused
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.item_status import TRANSITIONS as ITEM_MOVES, ItemStatus
from publisher.ledger.review_state import TRANSITIONS as REVIEW_MOVES, ReviewState
from publisher.review import workflow
from publisher.review.notify import NOTICES
from publisher.series.occurrence_status import NEW, TRANSITIONS as OCCURRENCE_MOVES, OccurrenceStatus, can_move


def test_every_state_has_its_moves_and_keeps_its_stored_value():
    assert set(ITEM_MOVES) == set(ItemStatus) and ITEM_MOVES[ItemStatus.RETRACTED] == frozenset()
    assert set(REVIEW_MOVES) == set(ReviewState) and workflow.TRANSITIONS is REVIEW_MOVES
    assert set(OCCURRENCE_MOVES) == set(OccurrenceStatus) and NEW <= set(OccurrenceStatus)
    assert workflow.ReviewState.APPROVED == "approved" and f"{ItemStatus.ACTIVE}" == "active"
    assert can_move("skipped", OccurrenceStatus.QUEUED) and not can_move("queued", OccurrenceStatus.QUEUED)


def test_a_review_move_the_table_does_not_allow_is_refused_before_anything_is_written():
    row = {"id": 7, "review_state": "draft", "review_step": None, "revision": 1}
    with pytest.raises(Refused) as refused:
        workflow.move(None, row, ReviewState.APPROVED, step=None)  # never reaches the connection
    assert refused.value.rule == "state"


def test_notices_are_keyed_by_event_kinds_and_every_decision_has_its_event():
    assert set(NOTICES) <= set(EventKind)
    assert set(workflow.DECISION_EVENTS) == set(workflow.Decision)
    assert {str(k) for k in workflow.DECISION_EVENTS.values()} == {f"review_{d}" for d in workflow.Decision}
