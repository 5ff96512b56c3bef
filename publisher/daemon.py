"""``publisher run``: APScheduler (in-memory jobs) ticks the dispatcher; the database is the only truth."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor as APThreadPool
from apscheduler.schedulers.background import BackgroundScheduler

from .app import App
from .dispatcher import Dispatcher, RunStats

log = logging.getLogger("publisher.daemon")


class Daemon:
    """Runs the dispatcher every ``daemon.poll_interval`` seconds, and each added job beside it, until stopped."""

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

    def add_job(self, func: Callable[[], None]) -> None:
        """Also run ``func`` every poll interval, as its own job (a long delivery run never delays it)."""
        self._extra_jobs.append(func)

    def tick(self) -> None:
        """One pass of the dispatcher: every due delivery."""
        if self.stop_event.is_set():
            return
        stats = self.dispatcher.run_due(self.stop_event)
        self.stats.outcomes.update(stats.outcomes)
        self.ticks += 1
        if stats.total:
            log.info("tick: %s", dict(stats.outcomes))

    def run(self, install_signals: bool = True) -> int:
        """Serve until SIGTERM/SIGINT; in-flight deliveries finish before returning. Returns the exit code."""
        interrupted = {"sig": None}

        def on_signal(signum, _frame):
            interrupted["sig"] = signum
            log.info("received %s: finishing in-flight deliveries, then stopping", signal.Signals(signum).name)
            self.stop_event.set()

        if install_signals:
            signal.signal(signal.SIGTERM, on_signal)
            signal.signal(signal.SIGINT, on_signal)
        self.scheduler.add_job(self.tick, "interval", seconds=self.app.config.daemon.poll_interval, id="tick",
                               next_run_time=None)
        for number, job in enumerate(self._extra_jobs):
            self.scheduler.add_job(self._guarded(job), "interval", seconds=self.app.config.daemon.poll_interval,
                                   id=f"job-{number}", next_run_time=_now(self.app))
        self.scheduler.add_job(self._reconcile, "cron", hour=3, minute=17, id="reconcile")
        self.scheduler.start()
        self.scheduler.modify_job("tick", next_run_time=_now(self.app))
        log.info("publisher daemon started (poll every %ss)", self.app.config.daemon.poll_interval)
        self.stop_event.wait()
        # run_due stops claiming once stop is set; wait for in-flight deliveries, at most shutdown_grace
        stopper = threading.Thread(target=self._shutdown, name="shutdown", daemon=True)
        stopper.start()
        stopper.join(self.app.config.daemon.shutdown_grace)
        if stopper.is_alive():
            self.unfinished = True
            log.warning("deliveries still in flight after %ss; stopping anyway: their leases run out and they are "
                        "looked up before anything is sent again", self.app.config.daemon.shutdown_grace)
        log.info("publisher daemon stopped")
        return 130 if interrupted["sig"] == signal.SIGINT else 0

    def _shutdown(self) -> None:
        self.scheduler.shutdown(wait=True)
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

    def _reconcile(self) -> None:
        from .reconcile import reconcile

        try:
            reconcile(self.app)
        except Exception:
            log.exception("nightly reconciliation failed")

    def stop(self) -> None:
        """Ask the daemon to stop (thread-safe)."""
        self.stop_event.set()


def _now(app: App):
    from datetime import datetime

    return datetime.now(app.config.tz)
