"""Where an item is in its review (``items.review_state``) and the moves allowed between the states.

The rules of each decision live in :mod:`publisher.review.workflow`; the states are here, below it, so the
store and the listing can name them too.
"""

from __future__ import annotations

from enum import StrEnum


class ReviewState(StrEnum):
    """Where an item is in its review (``items.review_state``)."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    REJECTED = "rejected"
    APPROVED = "approved"


TRANSITIONS: dict[ReviewState, frozenset[ReviewState]] = {
    ReviewState.DRAFT: frozenset({ReviewState.IN_REVIEW}),
    ReviewState.IN_REVIEW: frozenset({ReviewState.IN_REVIEW, ReviewState.APPROVED, ReviewState.REJECTED}),
    ReviewState.REJECTED: frozenset({ReviewState.IN_REVIEW, ReviewState.DRAFT}),
    ReviewState.APPROVED: frozenset({ReviewState.IN_REVIEW}),  # its text was edited before it went out
}
