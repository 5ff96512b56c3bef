"""Emulators registered through the ``publisher.emulators`` entry-point group, built-in ones and third-party alike.

Each entry point names a :class:`SandboxEmulator`: the sandbox, the demo and the default configuration's ports
all come from these, so a new channel's emulator touches no list in the core.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Callable

GROUP = "publisher.emulators"
LOOPBACK = "http://127.0.0.1"


@dataclass(frozen=True)
class SandboxEmulator:
    """How ``publisher sandbox`` serves one emulator: its name, its fixed port, and how to build it."""

    name: str
    port: int  # the port the default configuration expects it on
    build: Callable[..., Any]  # build(clock) -> an Emulator; clock drives token expiry and quotas, or None
    label: str = ""  # what ``publisher sandbox`` prints, when it says more than the name

    @property
    def default_url(self) -> str:
        """Where the default configuration looks for it."""
        return f"{LOOPBACK}:{self.port}"


def registered() -> list[SandboxEmulator]:
    """Every registered emulator, in port order."""
    # one per (name, target): a venv that held the distribution under its old name ("publisher" before 0.2) lists
    # the same entry points twice
    unique = {(ep.name, ep.value): ep for ep in entry_points(group=GROUP)}
    found = [ep.load() for ep in unique.values()]
    for emulator in found:
        if not isinstance(emulator, SandboxEmulator):
            raise TypeError(f"entry point of {GROUP} is not a SandboxEmulator: {emulator!r}")
    return sorted(found, key=lambda e: e.port)
