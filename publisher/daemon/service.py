"""``publisher run``: the dispatcher sleeps until the next due time or a wake-up; APScheduler runs the other jobs.

The database is the only truth: after each pass the daemon asks it when something next becomes due, and sleeps
until then, at most ``daemon.poll_interval`` seconds, waking at once when another process (or this one) queues,
approves, edits or retries something (:mod:`publisher.wakeup`).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor as APThreadPool
from apscheduler.schedulers.background import BackgroundScheduler

from publisher.runtime.app import App
from publisher.delivery.dispatcher import Dispatcher, RunStats
from publisher.inspection import jobs as inspection_jobs

log = logging.getLogger("publisher.daemon")
IDLE_FLOOR = 0.25  # seconds: the shortest sleep after a pass that found nothing to do


class Daemon:
    """Runs the dispatcher whenever something is due, and each added job beside it, until stopped."""

    def __init__(self, app: App, *, dispatcher: Dispatcher | None = None):
        self.app = app
        self.dispatcher = dispatcher or Dispatcher(app)
        self.stop_event = threading.Event()
        self.scheduler = BackgroundScheduler(
            executors={"default": APThreadPool(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=app.config.tz,
        )
        self.ticks = 0
        self.stats = RunStats()
        self.unfinished = False  # True when in-flight work outlived daemon.shutdown_grace
        self._extra_jobs: list[Callable[[], None]] = []
        self.wakeup = app.store.wakeup
        self._loop: threading.Thread | None = None
        self.passed = threading.Event()  # set after every pass (tests wait on it, never on a sleep)

    def add_job(self, func: Callable[[], None]) -> None:
        """Also run ``func`` every poll interval, as its own job (a long delivery run never delays it)."""
        self._extra_jobs.append(func)

    def tick(self) -> None:
        """One pass of the dispatcher: every due delivery."""
        if self.stop_event.is_set():
            return
        stats = self.dispatcher.run_due(self.stop_event)
        self._idle = not stats.total
        self.stats.outcomes.update(stats.outcomes)
        self.ticks += 1
        if stats.total:
            log.info("tick: %s", dict(stats.outcomes))

    def sleep_seconds(self) -> float:
        """How long to sleep after a pass: until the next due time, at most the poll interval."""
        cap = self.app.config.daemon.poll_interval
        due = self.dispatcher.next_due()
        if due is None:
            return cap
        # a pass that found nothing although something looked due (a copy waiting for its linked channel's)
        # must not spin: look again shortly
        floor = IDLE_FLOOR if getattr(self, "_idle", False) else 0.0
        return min(cap, max(floor, (due - self.app.clock.now()).total_seconds()))

    def _dispatch_loop(self) -> None:
        while not self.stop_event.is_set():
            self.wakeup.begin_pass()
            try:
                self.tick()
                pause = self.sleep_seconds()
            except Exception:  # the database went away: keep the daemon alive, look again after the interval
                log.exception("dispatcher pass failed")
                pause = self.app.config.daemon.poll_interval
            self.passed.set()
            if pause > 0 and not self.stop_event.is_set():
                self.wakeup.wait(pause)

    def run(self, install_signals: bool = True) -> int:
        """Serve until SIGTERM/SIGINT: stop claiming, give back what was claimed ahead, let the requests in flight
        finish for ``daemon.shutdown_grace`` seconds, then put what is still in flight in doubt (its lease given
        back). Returns the exit code."""
        interrupted = {"sig": None}

        def on_signal(signum, _frame):
            interrupted["sig"] = signum
            log.info("received %s: finishing in-flight deliveries, then stopping", signal.Signals(signum).name)
            self.stop_event.set()
            self.wakeup.interrupt()
            self.dispatcher.wake()

        if install_signals:
            signal.signal(signal.SIGTERM, on_signal)
            signal.signal(signal.SIGINT, on_signal)
        for number, job in enumerate(self._extra_jobs):
            self.scheduler.add_job(self._guarded(job), "interval", seconds=self.app.config.daemon.poll_interval,
                                   id=f"job-{number}", next_run_time=_now(self.app))
        self.scheduler.add_job(self._reconcile, "cron", hour=3, minute=17, id="reconcile")
        self.scheduler.add_job(self._guarded(self._audit_checkpoint), "cron", minute=41, id="audit-checkpoint")
        inspection_jobs.schedule(self.scheduler, self.app, self._guarded)
        self.scheduler.start()
        self._loop = threading.Thread(target=self._dispatch_loop, name="dispatch", daemon=True)
        self._loop.start()
        log.info("publisher daemon started (sleeps until the next due time, at most %ss)",
                 self.app.config.daemon.poll_interval)
        self.stop_event.wait()
        # run_due stops claiming once stop is set; wait for in-flight deliveries, at most shutdown_grace
        stopper = threading.Thread(target=self._shutdown, name="shutdown", daemon=True)
        stopper.start()
        stopper.join(self.app.config.daemon.shutdown_grace)
        if stopper.is_alive():
            self.unfinished = True
            try:
                given = self.dispatcher.abandon()
            except Exception:  # the database went away: the leases run out instead
                log.exception("could not give back the deliveries in flight")
                given = 0
            log.warning("%s deliveries still in flight after %ss; stopping anyway: they are in doubt, looked up "
                        "before anything is sent again", given, self.app.config.daemon.shutdown_grace)
        log.info("publisher daemon stopped")
        return 130 if interrupted["sig"] == signal.SIGINT else 0

    def _shutdown(self) -> None:
        self.scheduler.shutdown(wait=True)
        if self._loop is not None:
            self._loop.join()
        self.dispatcher.close()

    def _guarded(self, job: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            if self.stop_event.is_set():
                return
            try:
                job()
            except Exception:
                log.exception("job %s failed", getattr(job, "__name__", job))

        run.__name__ = getattr(job, "__name__", "job")
        return run

    def _audit_checkpoint(self) -> None:
        """Write the audit chain's head to the checkpoint file (outside the database)."""
        from publisher.db.engine import reading
        from publisher.ledger.audit_checkpoints import checkpoint_path, write

        with reading(self.app.store.engine) as conn:
            write(conn, checkpoint_path(self.app.config), self.app.clock.now())

    def _reconcile(self) -> None:
        """Read the channels back: removals become observations and an implausible run alerts; nothing is
        applied to the ledger without a person (`reconcile --fix`)."""
        from publisher.delivery.reconcile import reconcile

        try:
            reconcile(self.app)
        except Exception:
            log.exception("nightly reconciliation failed")

    def stop(self) -> None:
        """Ask the daemon to stop (thread-safe)."""
        self.stop_event.set()
        self.wakeup.interrupt()
        self.dispatcher.wake()


def _now(app: App):
    from datetime import datetime

    return datetime.now(app.config.tz)
