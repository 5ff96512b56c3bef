"""``publisher sandbox`` (local emulators of the channels) and ``publisher demo`` (a year replayed through them)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from publisher.cli.types import YEAR
from publisher.errors import InputError
from publisher.foundation.i18n import _

SANDBOX_PORTS = 7  # the emulators listen on port-base … port-base + 6


def _port_base(value: int) -> int:
    if value != 0 and not 1024 <= value <= 65536 - SANDBOX_PORTS:
        raise click.BadParameter(_("{value} is not 0 (free ports) or a port from 1024 to {highest}").format(
                                     value=value, highest=65536 - SANDBOX_PORTS))
    return value


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port-base", default=8701, show_default=True, callback=lambda ctx, p, v: _port_base(v),
              type=int, help="cms=base, wechat=+1, resource_site=+2, wordpress=+3, data=+4, domestic cms=+5; 0: free ports")
def sandbox_cmd(host: str, port_base: int) -> None:
    """Serve local emulators of the channel endpoints until Ctrl-C."""
    from publisher.sandbox.serve import serve_forever

    try:
        serve_forever(host, port_base)
    except OSError as exc:  # a port in use, or a host that is not this machine's
        raise InputError(_("cannot listen on {host} ports {first}-{last}: {reason} (another sandbox running? "
                           "try --port-base)").format(host=host, first=port_base, last=port_base + SANDBOX_PORTS - 1,
                                                      reason=exc.strerror or exc), field="--port-base") from None


@click.command("demo")
@click.option("--year", type=YEAR, default=2019, show_default=True)
@click.option("--keep", type=click.Path(file_okay=False), help="keep the demo's database and files in DIR")
@click.option("--no-progress", is_flag=True)
def demo_cmd(year: int, keep: str | None, no_progress: bool) -> None:
    """Replay a year shaped like the reference report through the sandbox; print the report paragraph."""
    from publisher.sandbox.demo import run_demo

    sys.exit(run_demo(year=year, keep=Path(keep) if keep else None, progress=not no_progress))
