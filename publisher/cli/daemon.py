"""``publisher run``: the daemon, or one pass over what is due (``--once``)."""

from __future__ import annotations

import logging
import os
import sys

import click

from publisher.cli.context import CliContext
from publisher.cli.helpers import EXIT_FAILED, echo_json
from publisher.foundation.i18n import N_, _
from publisher.series.occurrence_status import OccurrenceStatus

# the names `run --once` counts under, for the catalogue (the delivery statuses are named in ledger.lifecycle)
OUTCOME_NAMES = (N_("current"), N_("processing"), N_("released"), N_("retract_failed"), N_("retract_retry"),
                 N_("update_failed"), N_("update_retry"), N_("updated"), N_("series created"), N_("series queued"),
                 N_("series skipped"), N_("series missing data"), N_("series failed"), N_("series waiting"))


@click.command("run")
@click.option("--once", is_flag=True, help="publish everything due now, then exit")
@click.option("--json", "as_json", is_flag=True)
@click.option("--log-file", metavar="FILE", help="also log to FILE (rotated at 10 MB, nine old files kept)")
@click.pass_obj
def run(obj: CliContext, once: bool, as_json: bool, log_file: str | None) -> None:
    """The daemon: publish due deliveries on schedule until SIGTERM/SIGINT."""
    from publisher.daemon.service import Daemon
    from publisher.delivery.dispatcher import Dispatcher
    from publisher.series.runner import SeriesRunner

    if log_file:
        from publisher.ops.logfile import log_to_file

        log_to_file(log_file)
    app = obj.app()
    app.require_secrets()  # the daemon talks to every enabled channel
    if once:
        series = SeriesRunner(app).tick().outcomes
        dispatcher = Dispatcher(app)
        try:
            stats = dispatcher.run_due()
        finally:
            dispatcher.close()
        summary = dict(stats.outcomes) | {f"series {k.replace('_', ' ')}": v for k, v in series.items() if v}
        echo_json(summary) if as_json else click.echo(
            _("nothing due") if not summary else ", ".join(f"{_(k)}: {v}" for k, v in sorted(summary.items())))
        series_failed = series.get(OccurrenceStatus.MISSING_DATA, 0) + series.get(OccurrenceStatus.FAILED, 0)
        sys.exit(EXIT_FAILED if stats.failures or series_failed else 0)
    daemon = Daemon(app)
    daemon.add_job(SeriesRunner(app).poll)
    code = daemon.run()
    if daemon.unfinished:  # worker threads are still inside requests: leave without waiting for them
        logging.shutdown()
        os._exit(code)
    sys.exit(code)
