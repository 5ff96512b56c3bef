"""The daemon's inspection jobs: a re-scan when the term list or the gate's rules changed, the nightly link check.

The list is read afresh from its file each time (an office edits it while the daemon runs); its fingerprint is
compared with the one the last whole re-scan stored.
"""

from __future__ import annotations

import logging

from publisher.db.engine import reading
from publisher.inspection import state
from publisher.runtime.app import App

log = logging.getLogger("publisher.inspection")
ACTOR = "daemon"
RULES_CHECK_SECONDS = 300  # how often the daemon looks whether the list or the rules changed
LINKS_AT = {"hour": 2, "minute": 43}  # the nightly link check, office time


def rescan_if_rules_changed(app: App) -> dict | None:
    """Re-scan what is out when the rules' fingerprint differs from the stored one; the report, or None."""
    from publisher.inspection.rescan import current_fingerprint, rescan
    from publisher.items.gate_runs import forget_terms

    forget_terms(app)  # read the office's list again
    office = app.config.office.code
    fingerprint = current_fingerprint(app)
    with reading(app.store.engine) as conn:
        stored = state.read(conn, office, state.RULES)
    if stored is not None and stored["value"] == fingerprint:
        return None
    report = rescan(app, office=office, actor=ACTOR)
    log.info("term list or gate rules changed: re-scanned %s published items, %s corrections opened",
             report["scanned"], report["opened"])
    return report


def nightly_links(app: App) -> dict:
    """Check every link and image published (the summary lands in the 工作台)."""
    from publisher.inspection.links import check_links

    report = check_links(app, app.config.office.code, actor=ACTOR)
    if report["broken"]:
        log.warning("link check: %s broken link(s) in published items", len(report["broken"]))
    return report


def schedule(scheduler, app: App, guarded) -> None:
    """Add both jobs to the daemon's APScheduler (``guarded`` wraps a job so that a failure is logged)."""
    from datetime import datetime

    def rescan_job() -> None:
        rescan_if_rules_changed(app)

    def links_job() -> None:
        nightly_links(app)

    scheduler.add_job(guarded(rescan_job), "interval", seconds=RULES_CHECK_SECONDS, id="inspection-rescan",
                      next_run_time=datetime.now(app.config.tz))
    scheduler.add_job(guarded(links_job), "cron", id="inspection-links", **LINKS_AT)
