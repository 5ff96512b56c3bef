"""The dispatcher: claim due deliveries with a lease, run them through adapters, record every outcome.

A delivery's life (:mod:`publisher.ledger.lifecycle`): ``pending`` → ``publishing`` (claimed, leased) →
``published`` | ``failed`` (retry later) | ``dead`` (gave up) | ``in_doubt`` (the channel may have it). An
``in_doubt`` delivery, or a ``publishing`` one whose lease expired (its worker crashed), is settled by the
adapter's look-up before anything is sent again. A published delivery older than its item's approved revision is
updated in place (``update``, :mod:`publisher.delivery.corrections`).

:class:`Dispatcher` composes the parts: :mod:`~publisher.delivery.claims` (leases on due deliveries),
:mod:`~publisher.delivery.execution` (one claim through its adapter), :mod:`~publisher.delivery.outcomes` (each
answer as a lifecycle move and audit event) and :mod:`~publisher.delivery.loop` (``run_due``'s scheduler loop).
"""

from __future__ import annotations

import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from publisher.delivery.claims import CLAIM_AHEAD, Claim, Claims
from publisher.delivery.execution import Execution
from publisher.delivery.group_commit import Handed
from publisher.delivery.loop import RunLoop, RunStats
from publisher.delivery.outcomes import HAND_IN as _HAND_IN, Outcomes  # noqa: F401  (_HAND_IN: tests set it)
from publisher.foundation.durations import parse_duration
from publisher.ledger import wakeup
from publisher.runtime.app import App

__all__ = ["CLAIM_AHEAD", "Claim", "Dispatcher", "RunStats"]


class Dispatcher:
    """Runs due deliveries for one App, concurrently, with a per-channel limit."""

    def __init__(self, app: App, *, worker_id: str | None = None, workers: int | None = None,
                 rng: random.Random | None = None, heartbeat: float | None = None):
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self.retry = app.config.retry
        self.lease = parse_duration(self.retry.lease)
        # how long after its timeout a request is still taken to be possibly in flight (a slow save committing)
        self.margin = timedelta(seconds=self.retry.in_doubt_delay)
        self.max_age = parse_duration(self.retry.max_age)
        self.worker_id = worker_id or f"{app.actor}/{uuid.uuid4().hex[:8]}"
        # real seconds between lease renewals while deliveries are in flight (a slow site must not lose its lease)
        self.heartbeat = heartbeat or max(1.0, self.lease.total_seconds() / 3)
        self.workers = workers or app.config.daemon.workers
        self.rng = rng or random.Random()
        self.recorder = Outcomes(app, worker_id=self.worker_id, lease=self.lease, margin=self.margin,
                                 max_age=self.max_age, rng=self.rng)
        self.holds = self.recorder.holds
        self.outcomes = self.recorder.committed  # outcomes of deliveries executed outside run_due
        self.handed = self.recorder.handed  # outcomes of run_due's workers, written with the next claim
        self.claims = Claims(app, self.handed, worker_id=self.worker_id, lease=self.lease, margin=self.margin,
                             workers=self.workers)
        # late-bound: a test may replace this dispatcher's _save_checkpoint
        self.execution = Execution(app, self.recorder, lambda claim, cp: self._save_checkpoint(claim, cp))
        self._executor: ThreadPoolExecutor | None = None

    @property
    def shares(self) -> dict[str, int]:
        """Per channel: how much of its concurrency this worker may use now."""
        return self.claims.shares

    @property
    def exhausted(self) -> set[str]:
        """Channels whose last claim found fewer due deliveries than it asked for."""
        return self.claims.exhausted

    # -- the loop ---------------------------------------------------------------------------------
    def run_due(self, stop: threading.Event | None = None, *, item_id: int | None = None) -> RunStats:
        """Process everything due now (claiming more as slots free up); return when nothing is due or in flight."""
        loop = RunLoop(self, self._pool())
        self._running = loop
        with wakeup.quiet():
            return loop.run(stop, item_id)

    def abandon(self) -> int:
        """The daemon stops before its workers' requests ended: each delivery they hold goes in doubt (looked up
        once its request can no longer be in flight) and its lease is given back now. Returns how many."""
        state = getattr(getattr(self, "_running", None), "state", None)
        if state is None:
            return 0
        now = self.clock.now()
        given = 0
        for name in list(state.ready):  # claimed ahead, never started: back as they were
            given += sum(self.claims.release(claim, "the daemon stopped before it was sent")
                         for claim in state.take_ready(name))
        for current in list(state.inflight.values()):
            claim = current[0]
            timeout = timedelta(seconds=self.app.config.channels[claim.channel].timeout)
            given += self.claims.abandon(claim, now + timeout + self.recorder.doubt_window(claim))
        return given

    def wake(self) -> None:
        """Wake a running pass (it notices a stop at once instead of at its next heartbeat)."""
        state = getattr(getattr(self, "_running", None), "state", None)
        if state is not None:
            state.wake()

    def _pool(self) -> ThreadPoolExecutor:
        # One pool for the dispatcher's life: worker threads keep their HTTP sessions between runs.
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="deliver")
        return self._executor

    def close(self) -> None:
        """Stop the worker threads (after in-flight work finishes)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def next_due(self) -> datetime | None:
        """When some delivery next becomes due; None when none will (see :meth:`Claims.next_due`)."""
        return self.claims.next_due()

    def record(self, handed: list[Handed]) -> None:
        """Write outcomes handed in by workers, in one transaction (each alone when that fails)."""
        self.handed.record(handed)

    # -- claiming ---------------------------------------------------------------------------------
    def claim(self, channel: str, limit: int, *, item_id: int | None = None) -> list[Claim]:
        """Take the lease on up to ``limit`` due deliveries of ``channel`` (of one item, when given)."""
        return self.claim_many({channel: limit}, limit, item_id=item_id)

    def claim_many(self, slots: dict[str, int], limit: int, *, item_id: int | None = None,
                   outcomes: list[Handed] = ()) -> list[Claim]:
        """Take leases on due deliveries: at most ``slots[channel]`` per channel and ``limit`` in all, writing
        ``outcomes`` handed in by workers in the same transaction (see :meth:`Claims.claim_many`)."""
        return self.claims.claim_many(slots, limit, item_id=item_id, outcomes=outcomes)

    def release(self, claim: Claim) -> bool:
        """Give back a claim taken ahead that was never started (its channel was paused meanwhile)."""
        return self.claims.release(claim)

    def renew_leases(self, claims: list[Claim]) -> None:
        """Extend the leases of deliveries still being worked on, so no other worker takes them over."""
        self.claims.renew_leases(claims)

    def claim_depth(self, channel: str, share: int, *, others: int = 0) -> int:
        """How many deliveries of ``channel`` this dispatcher holds leased at most (see :meth:`Claims.claim_depth`)."""
        return self.claims.claim_depth(channel, share, others=others)

    def ahead_deeply(self, channel: str) -> bool:
        """Whether ``channel`` may keep CLAIM_AHEAD deliveries claimed ahead (see :meth:`Claims.claim_depth`)."""
        return self.claims.ahead_deeply(channel)

    # -- executing --------------------------------------------------------------------------------
    def execute(self, claim: Claim) -> str:
        """Run one claimed delivery to its next state; returns the outcome name."""
        return self.execution.execute(claim)

    def _save_checkpoint(self, claim: Claim, checkpoint: dict) -> None:
        self.recorder.save_checkpoint(claim, checkpoint)
