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
    """Runs the dispatcher every ``daemon.poll_interval`` seconds (and the series jobs) until stopped."""

    def __init__(self, app: App, *, dispatcher: Dispatcher | None = None):
        self.app = app
        self.dispatcher = dispatcher or Dispatcher(app)
        self.stop_event = threading.Event()
        self.scheduler = BackgroundScheduler(
            executors={"default": APThreadPool(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=app.config.tz,
        )
        self.ticks = 0
        self.stats = RunStats()
        self._extra_jobs: list[Callable[[], None]] = []

    def add_job(self, func: Callable[[], None]) -> None:
        """Run ``func`` on every tick too (e.g. creating due series occurrences)."""
        self._extra_jobs.append(func)

    def tick(self) -> None:
        """One pass: extra jobs, then every due delivery."""
        if self.stop_event.is_set():
            return
        for job in self._extra_jobs:
            try:
                job()
            except Exception:
                log.exception("job %s failed", getattr(job, "__name__", job))
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
        self.scheduler.add_job(self._reconcile, "cron", hour=3, minute=17, id="reconcile")
        self.scheduler.start()
        self.scheduler.modify_job("tick", next_run_time=_now(self.app))
        log.info("publisher daemon started (poll every %ss)", self.app.config.daemon.poll_interval)
        self.stop_event.wait()
        self.scheduler.shutdown(wait=True)  # waits for a running tick; run_due stops claiming once stop is set
        self.dispatcher.close()
        log.info("publisher daemon stopped")
        return 130 if interrupted["sig"] == signal.SIGINT else 0

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
