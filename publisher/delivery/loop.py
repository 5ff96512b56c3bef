"""The scheduler loop of :meth:`Dispatcher.run_due`: claim due work ahead, hand it to the worker pool, collect
what finished, renew leases, and stop cleanly.

Claims are taken ahead (up to a second round per channel, ``ready``) so that one claim transaction serves many
deliveries; what was claimed ahead and not started is given back when stopping (claimable at once by any worker).
A worker that finishes takes
the next claim of its channel from ``ready`` itself (its slot passes on), and wakes the loop to claim more when
``ready`` runs low: no worker waits for the loop between deliveries. The workers hand their outcomes in; the
loop writes them in the transaction of its next claim.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, InvalidStateError, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Protocol

from publisher.delivery.claims import Claim, Claims
from publisher.delivery.group_commit import Handed, OutcomeBatch
from publisher.delivery.outcomes import HAND_IN
from publisher.ledger import wakeup
from publisher.runtime.app import App

log = logging.getLogger("publisher.dispatcher")
FAILURES = ("failed", "dead", "in_doubt", "paused", "retract_failed", "retract_retry", "processing", "held", "error",
            "update_failed", "update_retry")


@dataclass
class RunStats:
    """What one :meth:`Dispatcher.run_due` did, by outcome."""

    outcomes: Counter = field(default_factory=Counter)

    @property
    def failures(self) -> int:
        """Outcomes that mean something could not be delivered (yet)."""
        return sum(self.outcomes[k] for k in FAILURES)

    @property
    def total(self) -> int:
        """How many claims were processed."""
        return sum(self.outcomes.values())


class LoopState:
    """What the loop and its workers share during one run: per channel the claims ready to run, how many workers
    run it and the share of its concurrency this dispatcher may use; the runs in flight; the wake-up.

    ``lock`` guards ``ready``, ``busy``, ``shares`` and each run's current claim; ``inflight``, ``exhausted`` and
    ``paused`` are the loop thread's own.
    """

    def __init__(self, channels, limit: dict[str, int], depth: dict[str, int], shares: dict[str, int],
                 workers: int, stop: threading.Event | None):
        self.lock = threading.Lock()
        self.limit = limit  # per channel: its concurrency
        self.depth = depth  # per channel: how many it keeps leased at most (running and ready)
        self.shares = dict(shares)  # per channel: its concurrency less what other daemons hold
        self.workers = workers
        self.stop = stop
        self.ready: dict[str, deque[Claim]] = {name: deque() for name in channels}
        self.busy: Counter = Counter()  # per channel: workers running it
        self.inflight: dict[Future, list[Claim]] = {}  # each worker's run → [the claim it is on now]
        self.exhausted: set[str] = set()  # channels whose last claim found less than it asked for
        self.paused: dict = {}  # channels paused (read again only when a delivery here pauses one)
        self._low = Future()  # set by a worker when its channel's ``ready`` runs low

    @property
    def stopping(self) -> bool:
        """True once the caller asked the run to stop claiming."""
        return self.stop is not None and self.stop.is_set()

    def share(self, name: str) -> int:
        """How many workers may run ``name`` at once (call with ``lock`` held)."""
        return self.shares.get(name, self.limit[name])

    # -- the workers' side ------------------------------------------------------------------------
    def next_for(self, name: str, current: list[Claim]) -> Claim | None:
        """A worker finished a claim of ``name``: the next one ready for it (its slot passes on), or None when it
        stops (the channel is over its share, or nothing is ready). Wakes the loop when ``ready`` runs low."""
        with self.lock:
            if self.busy[name] > self.share(name) or self.stopping:
                return None
            waiting = self.ready[name]
            claim = waiting.popleft() if waiting else None
            if claim is not None:
                current[0] = claim
            low = self.low(name)
        if low:
            self.wake()
        return claim

    def low(self, name: str) -> bool:
        """Whether a quarter of what may be claimed ahead of ``name`` beside its running deliveries is gone (call
        with ``lock`` held): a claim then takes at least that quarter, not one or two at a time, and three quarters
        are still ready while it runs."""
        ahead = max(0, self.depth[name] - self.share(name))
        return len(self.ready[name]) <= ahead - max(1, ahead // 4)

    def wake(self) -> None:
        """Wake the loop (it claims more)."""
        with contextlib.suppress(InvalidStateError):
            self._low.set_result(None)

    # -- the loop's side --------------------------------------------------------------------------
    def wake_signal(self) -> Future:
        """The future a worker sets to wake the loop (a fresh one once the last was used)."""
        if self._low.done():
            self._low = Future()
        return self._low

    def startable(self) -> list[tuple[Claim, list[Claim]]]:
        """Take the ready claims free workers may start now (counted as running): (claim, its run's current)."""
        started = []
        if self.stopping:
            return started
        with self.lock:
            for name, waiting in self.ready.items():
                share = self.share(name)
                while waiting and self.busy[name] < share and len(self.inflight) + len(started) < self.workers:
                    claim = waiting.popleft()
                    self.busy[name] += 1
                    started.append((claim, [claim]))
        return started

    def slots(self) -> dict[str, int]:
        """Per channel neither paused nor exhausted whose ``ready`` runs low: how many more it may lease."""
        slots = {}
        with self.lock:
            for name, waiting in self.ready.items():
                if name not in self.paused and name not in self.exhausted:
                    want = self.depth[name] - self.busy[name] - len(waiting)
                    if self.low(name) and want > 0:
                        slots[name] = want
        return slots

    def queued(self) -> int:
        """How many claims are ready and not started."""
        with self.lock:
            return sum(len(q) for q in self.ready.values())

    def add(self, claims: list[Claim], shares: dict[str, int]) -> None:
        """Queue new ``claims``, and take the shares the claim found."""
        with self.lock:
            self.shares = dict(shares)
            for claim in claims:
                self.ready[claim.channel].append(claim)

    def finished(self, future: Future) -> list[Claim] | None:
        """A worker's run ended: its slot is free. None for the wake-up future."""
        current = self.inflight.pop(future, None)
        if current is None:
            return None
        with self.lock:
            self.busy[current[0].channel] -= 1
        self.exhausted.clear()  # a finished delivery may free another channel's (waits_for)
        return current

    def leased(self) -> list[Claim]:
        """Every claim this run holds the lease on: running, and ready."""
        with self.lock:
            return [c[0] for c in self.inflight.values()] + [c for q in self.ready.values() for c in q]

    def take_ready(self, name: str) -> list[Claim]:
        """Everything ready for ``name``, taken out (to give back)."""
        with self.lock:
            taken, self.ready[name] = list(self.ready[name]), deque()
        return taken

    def put_back(self, name: str, claims: list[Claim]) -> None:
        """Return ``claims`` to the front of ``name``'s ready queue, in their order."""
        with self.lock:
            self.ready[name].extendleft(reversed(claims))


class Driven(Protocol):
    """What the loop drives: the parts of :class:`publisher.delivery.dispatcher.Dispatcher` it uses."""

    app: App
    workers: int
    heartbeat: float
    claims: Claims
    handed: OutcomeBatch
    shares: dict[str, int]
    exhausted: set[str]

    def claim_many(self, slots: dict[str, int], limit: int, *, item_id: int | None = None,
                   outcomes: list[Handed] = ()) -> list[Claim]: ...
    def claim_depth(self, channel: str, share: int, *, others: int = 0) -> int: ...
    def ahead_deeply(self, channel: str) -> bool: ...
    def execute(self, claim: Claim) -> str: ...
    def renew_leases(self, claims: list[Claim]) -> None: ...
    def release(self, claim: Claim) -> bool: ...
    def record(self, handed: list[Handed]) -> None: ...


class RunLoop:
    """One run of the dispatcher: everything due now, claimed as slots free up, until nothing is due or in flight.

    It drives the dispatcher through its own methods (claim_many, execute, renew_leases, release, record), so
    what a caller changes on one dispatcher applies to its runs.
    """

    def __init__(self, dispatcher: Driven, pool: ThreadPoolExecutor):
        self.dispatcher = dispatcher
        self.pool = pool
        self.app = dispatcher.app
        self.workers = dispatcher.workers
        self.heartbeat = dispatcher.heartbeat

    def run(self, stop: threading.Event | None, item_id: int | None) -> RunStats:
        """Claim, run and record until nothing is due or in flight; stop claiming once ``stop`` is set."""
        stats = RunStats()
        self.dispatcher.claims.new_pass()  # every pass looks for retractions at its first claim
        state, leased_at_most = self._start(stop)
        self.state = state
        renewed = time.monotonic()
        while True:
            self._start_ready(state)  # a freed worker takes what was claimed ahead before this round's claim
            handed = self._claim_round(state, leased_at_most, item_id)
            for entry in handed:  # a lease lost meanwhile shows as such
                if entry.result != entry.outcome:
                    stats.outcomes[entry.outcome] -= 1
                    stats.outcomes[entry.result] += 1
            self._start_ready(state)
            if state.stopping:  # what was claimed ahead and never started goes back, claimable at once
                for name in list(state.ready):
                    self._release_all(state, name)
            if not state.inflight:  # every outcome was handed in before its worker's run ended: all are written
                stats.outcomes = +stats.outcomes
                return stats
            done, _ = wait([*state.inflight, state.wake_signal()], timeout=self.heartbeat,
                           return_when=FIRST_COMPLETED)
            if time.monotonic() - renewed >= self.heartbeat:  # a slow site must not lose its lease
                self.dispatcher.renew_leases(state.leased())
                renewed = time.monotonic()
            for future in done:
                if state.finished(future) is not None:  # else the wake-up: ``ready`` runs low
                    self._count(state, future.result(), stats)

    def _start(self, stop: threading.Event | None) -> tuple[LoopState, int]:
        """The run's state, and how many deliveries it holds leased at most in all."""
        config, dispatcher = self.app.config, self.dispatcher
        channels = config.enabled_channels()
        limit = {name: config.channels[name].concurrency for name in channels}
        depth = {name: dispatcher.claim_depth(name, n) for name, n in limit.items()}  # leased at most: running, ahead
        # in all: twice the workers, or what the channels that claim deeply ahead keep (see claim_depth)
        leased_at_most = max(2 * self.workers, sum(depth[c] for c in channels if dispatcher.ahead_deeply(c)))
        state = LoopState(channels, limit, depth, dispatcher.shares, self.workers, stop)
        state.paused = self.app.store.paused_channels()
        return state, leased_at_most

    def _claim_round(self, state: LoopState, leased_at_most: int, item_id: int | None) -> list[Handed]:
        """Claim what the channels have room for, writing the outcomes handed in meanwhile with it; returns those."""
        dispatcher = self.dispatcher
        queued = state.queued()
        handed = dispatcher.handed.take()  # outcomes the workers handed in: written with this claim
        written = False
        if not state.stopping:
            slots = state.slots()
            room = leased_at_most - len(state.inflight) - queued
            if slots and room > 0:
                claims = dispatcher.claim_many(slots, room, item_id=item_id, outcomes=handed)
                written = True
                state.exhausted.update(dispatcher.exhausted)
                state.add(claims, dispatcher.shares)
        if handed and not written:
            dispatcher.record(handed)
        return handed

    def _start_ready(self, state: LoopState) -> None:
        for claim, current in state.startable():
            state.inflight[self.pool.submit(self._run_on, state, claim, current)] = current

    def _run_on(self, state: LoopState, claim: Claim, current: list[Claim]) -> list[str]:
        """A worker's run: ``claim``, then the next ready claims of its channel while its slot lasts."""
        outcomes = []
        while claim is not None:
            try:
                outcomes.append(self._execute_quietly(claim))
            except Exception:  # a bug in our own bookkeeping: keep the daemon alive, the lease expires
                log.exception("delivery %s crashed the worker", claim.id)
                outcomes.append("error")
            if outcomes[-1] == "paused":
                return outcomes
            claim = state.next_for(claim.channel, current)
        return outcomes

    def _execute_quietly(self, claim: Claim) -> str:
        token = HAND_IN.set(True)
        try:
            with wakeup.quiet():
                return self.dispatcher.execute(claim)
        finally:
            HAND_IN.reset(token)

    def _count(self, state: LoopState, outcomes: list[str], stats: RunStats) -> None:
        """Count a finished run's outcomes; a delivery that paused its channel gives back what was claimed ahead."""
        for outcome in outcomes:
            stats.outcomes[outcome] += 1
            if outcome == "paused":
                state.paused = self.app.store.paused_channels()
                for name in state.paused:  # what was claimed ahead for a paused channel goes back unsent
                    if name in state.ready:
                        self._release_all(state, name)

    def _release_all(self, state: LoopState, name: str) -> None:
        """Give back everything ready for ``name`` that can go back; the rest stays ready."""
        release = self.dispatcher.release
        keep = [claim for claim in state.take_ready(name) if not (claim.releasable and release(claim))]
        if state.stopping:  # nothing of it was started: the rest goes back too, or its lease runs out
            keep = [claim for claim in keep if not release(claim)]
        state.put_back(name, keep)
