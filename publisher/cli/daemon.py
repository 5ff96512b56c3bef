"""``publisher run``: the daemon, or batch passes over what is due (``--once``, ``--until-settled``)."""

from __future__ import annotations

import logging
import os
import sys

import click

from publisher.cli.context import CliContext
from publisher.cli.helpers import EXIT_FAILED, echo_json
from publisher.daemon.running import running_on
from publisher.errors import InputError
from publisher.foundation.i18n import N_, _
from publisher.series.occurrence_status import OccurrenceStatus

# the names `run --once` counts under, for the catalogue (the delivery statuses are named in ledger.lifecycle)
OUTCOME_NAMES = (N_("current"), N_("processing"), N_("released"), N_("retract_failed"), N_("retract_retry"),
                 N_("update_failed"), N_("update_retry"), N_("updated"), N_("series created"), N_("series queued"),
                 N_("series skipped"), N_("series missing data"), N_("series failed"), N_("series waiting"))


@click.command("run")
@click.option("--once", is_flag=True, help="one pass over everything due now, then exit")
@click.option("--until-settled", is_flag=True,
              help="keep going through backoffs and look-ups until every due delivery is settled, then exit")
@click.option("--max-time", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="with --once or --until-settled: stop claiming after this many seconds (default 300)")
@click.option("--json", "as_json", is_flag=True)
@click.option("--log-file", metavar="FILE", help="also log to FILE (rotated at 10 MB, nine old files kept)")
@click.pass_obj
def run(obj: CliContext, once: bool, until_settled: bool, max_time: float | None, as_json: bool,
        log_file: str | None) -> None:
    """The daemon: publish due deliveries on schedule until SIGTERM/SIGINT."""
    from publisher.channel_registry.upkeep import upkeep
    from publisher.daemon.service import Daemon
    from publisher.runtime import heap
    from publisher.series.runner import SeriesRunner

    if max_time is not None and not (once or until_settled):
        raise InputError(_("--max-time needs --once or --until-settled"), field="--max-time")
    if log_file:
        from publisher.ops.logfile import log_to_file

        log_to_file(log_file)
    app = obj.app()
    app.require_secrets()  # the daemon talks to every enabled channel
    heap.settle()  # start-up is done: later full collections walk only what the daemon makes
    with running_on(app.config.database_url):  # `restore` refuses to replace the database meanwhile
        if once or until_settled:
            _batch(app, until_settled, max_time, as_json)
        daemon = Daemon(app)
        daemon.add_job(SeriesRunner(app).poll)
        daemon.add_job(lambda: upkeep(app))
        code = daemon.run()
    if daemon.unfinished:  # worker threads are still inside requests: leave without waiting for them
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


def _batch(app, until_settled: bool, max_time: float | None, as_json: bool) -> None:
    """Batch passes: print what was done, name what remains on stderr, exit 0 only when nothing does."""
    from publisher.channel_registry.upkeep import upkeep
    from publisher.daemon.batch import DEFAULT_MAX_TIME, run_batch
    from publisher.series.runner import SeriesRunner

    series = SeriesRunner(app).tick().outcomes
    result = run_batch(app, max_time=max_time or DEFAULT_MAX_TIME, until_settled=until_settled)
    for name in upkeep(app):
        click.echo(_("channel {name} is closed: its notice is published, the channel is disabled").format(name=name),
                   err=True)
    summary = dict(result.stats.outcomes) | {f"series {k.replace('_', ' ')}": v for k, v in series.items() if v}
    left = {reason: {"count": n, "examples": result.left.examples[reason]} for reason, n in result.left.counts.items()}
    if as_json:
        echo_json(summary | {"remaining": left, "timed_out": result.timed_out})
    else:
        click.echo(_("nothing due") if not summary else ", ".join(f"{k}: {v}" for k, v in sorted(summary.items())))
    if result.timed_out:
        click.echo(_("stopped after --max-time {seconds:g}s").format(seconds=max_time or DEFAULT_MAX_TIME), err=True)
    for reason, n in result.left.counts.most_common():
        click.echo(_("remaining: {count} {reason}: {examples}").format(
            count=n, reason=_(reason), examples=", ".join(result.left.examples[reason])), err=True)
    series_failed = series.get(OccurrenceStatus.MISSING_DATA, 0) + series.get(OccurrenceStatus.FAILED, 0)
    sys.exit(0 if result.ok and not series_failed else EXIT_FAILED)
