"""What the daemon does for the registry on every pass: finish closures whose 停更公告 is out, warn of idle clocks."""

from __future__ import annotations

import logging

from publisher.channel_registry.closing import finish_closures
from publisher.channel_registry.warnings import warn_idle
from publisher.runtime.app import App

log = logging.getLogger("publisher.registry")


def upkeep(app: App) -> list[str]:
    """Close the channels whose notice was published, then warn of clocks near their limit; returns the closed."""
    closed = finish_closures(app)
    for name in closed:
        log.info("channel %s closed: its 停更公告 is published; the channel is disabled", name)
    warn_idle(app)
    return closed
