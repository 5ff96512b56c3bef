"""Shared fixtures: an injectable clock, channel services, emulator servers on loopback."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from publisher.adapter import ChannelServices
from publisher.channel_state import MemoryChannelState
from publisher.clock import SimulatedClock


@pytest.fixture
def clock() -> SimulatedClock:
    """A simulated clock at 2019-06-01 10:00 Asia/Shanghai."""
    return SimulatedClock(datetime(2019, 6, 1, 2, 0, tzinfo=timezone.utc))


@pytest.fixture
def services(clock) -> ChannelServices:
    """Channel services with in-memory state and the simulated clock."""
    return ChannelServices(clock=clock, state=MemoryChannelState(clock), timezone=ZoneInfo("Asia/Shanghai"))
