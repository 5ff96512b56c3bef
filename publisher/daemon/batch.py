"""``run --once`` and ``run --until-settled``: passes of the dispatcher bounded in time, and what they left undone.

A pass stops claiming when its time is up and waits only for the requests in flight (each bounded by its
channel's ``timeout``). ``until_settled`` keeps going through backoffs and look-ups until every due delivery is
published, dead or waiting for a person, or the time is up.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from publisher.delivery.dispatcher import Dispatcher, RunStats
from publisher.delivery.remaining import Remaining, remaining
from publisher.foundation.deadlines import WATCHDOG
from publisher.runtime.app import App

DEFAULT_MAX_TIME = 300.0  # seconds: a pass's default bound
GIVEN_UP = ("dead", "retract_failed", "update_failed", "error")


@dataclass
class BatchResult:
    """What the batch did, what it left, and whether its time ran out."""

    stats: RunStats
    left: Remaining
    timed_out: bool

    @property
    def ok(self) -> bool:
        """Exit 0: nothing failed, nothing is open."""
        return not self.given_up and not self.left.total

    @property
    def given_up(self) -> int:
        """Deliveries, retractions and updates this batch gave up on."""
        return sum(self.stats.outcomes[k] for k in GIVEN_UP)


def run_batch(app: App, *, max_time: float = DEFAULT_MAX_TIME, until_settled: bool = False,
              stop: threading.Event | None = None) -> BatchResult:
    """One pass over what is due (or passes until settled), stopping to claim after ``max_time`` seconds."""
    stop = stop or threading.Event()
    deadline = time.monotonic() + max_time
    handle = WATCHDOG.after(max_time, stop.set)
    dispatcher = Dispatcher(app)
    stats = RunStats()
    try:
        while True:
            stats.outcomes.update(dispatcher.run_due(stop).outcomes)
            left = remaining(app)
            if not until_settled or stop.is_set() or not left.total or left.only_for_people:
                break
            due = dispatcher.next_due()
            wait = 0.05 if due is None else (due - app.clock.now()).total_seconds()
            stop.wait(min(max(wait, 0.05), max(0.0, deadline - time.monotonic())))
    finally:
        WATCHDOG.cancel(handle)
        dispatcher.close()
    return BatchResult(stats, left, timed_out=stop.is_set() and time.monotonic() >= deadline)
