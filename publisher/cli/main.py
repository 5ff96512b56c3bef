"""The ``publisher`` command line (see README.md). Exit codes: 0 ok, 1 work failed, 2 bad input, 130 interrupted.

The root group is here; every command lives in its own module and is added below."""

from __future__ import annotations

import logging
import sys

import click

from publisher import __version__
from sqlalchemy.exc import OperationalError

from publisher.cli import (
    audit, backfill, bundle, catalogue, channels, check, check_config, completion, daemon, doctor, inspection, items, ops,
    queue, reconcile, registers, report, reposts, review, sandbox, series, serve, status, tally, users,
)
from publisher.cli.context import CliContext
from publisher.cli.helpers import EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_REFUSED
from publisher.errors import ConfigError, InputError, NotFound, PublisherError, Refused
from publisher.foundation.i18n import _, localise_click, localise_help, shown
from publisher.foundation.redact import install_log_scrubbing, scrub


class PublisherGroup(click.Group):
    """Turns our errors into messages and exit codes instead of tracebacks; speaks the office's language."""

    def main(self, *args, **kwargs):
        localise_click()
        localise_help(self)
        return super().main(*args, **kwargs)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (ConfigError, InputError, NotFound) as exc:
            click.echo(_("error: {message}").format(message=scrub(shown(str(exc)))), err=True)
            ctx.exit(EXIT_INPUT)
        except Refused as exc:
            click.echo(_("refused: {message}").format(message=scrub(shown(str(exc)))), err=True)
            ctx.exit(EXIT_REFUSED)
        except PublisherError as exc:
            click.echo(_("error: {message}").format(message=scrub(shown(str(exc)))), err=True)
            ctx.exit(EXIT_FAILED)
        except OperationalError as exc:  # the database went away or stayed locked: say so, no traceback
            reason = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() else type(exc).__name__
            click.echo(_("error: database: {reason}").format(reason=scrub(reason)), err=True)
            ctx.exit(EXIT_FAILED)
        except KeyboardInterrupt:
            click.echo(_("interrupted"), err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=PublisherGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", metavar="PATH", help="config file (default $PUBLISHER_CONFIG or ./config.yaml)")
@click.option("-v", "--verbose", is_flag=True, help="log more")
@click.option("--as", "acting", metavar="NAME", help="the acting user (default $PUBLISHER_USER)")
@click.option("--office", "office", metavar="CODE",
              help="the office of --as, where names repeat across offices (default $PUBLISHER_OFFICE, then office.code)")
@click.version_option(version=__version__, prog_name="publisher", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: bool, acting: str | None, office: str | None) -> None:
    """publisher: queue an item once, publish it on every channel, count it exactly for the annual report."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("apscheduler", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_log_scrubbing()
    ctx.obj = CliContext(config, verbose, acting, office)
    ctx.call_on_close(ctx.obj.close)


COMMANDS = (
    check_config.check_config, queue.queue, items.item, daemon.run, channels.channel, reconcile.reconcile_cmd,
    tally.tally_cmd, series.series, sandbox.sandbox_cmd, sandbox.demo_cmd, completion.completion_cmd,
    users.user, review.review, check.check, audit.audit, ops.migrate_cmd, serve.serve,
    report.report, registers.applications, registers.appeals, backfill.backfill, ops.backup_cmd, ops.restore_cmd,
    catalogue.catalogue_cmd, status.status_cmd, doctor.doctor_cmd, bundle.bundle_cmd,
    inspection.corrections, inspection.links_cmd, reposts.reposts,
)
for command in COMMANDS:
    main.add_command(command)

if __name__ == "__main__":
    main()
