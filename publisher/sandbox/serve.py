"""``publisher sandbox``: every emulator on consecutive loopback ports, as the default config expects."""

from __future__ import annotations

import threading

from publisher.sandbox.registry import SandboxEmulator, registered
from publisher.sandbox.server import EmulatorServer

DEFAULT_PORT_BASE = 8701


def build_emulators(clock=None) -> list[tuple[SandboxEmulator, object]]:
    """The registered emulators in port order, each built; ``clock`` (an object with ``now()``) drives token expiry
    and quotas, e.g. the demo's simulated clock."""
    return [(entry, entry.build(clock)) for entry in registered()]


def start_all(host: str = "127.0.0.1", port_base: int = DEFAULT_PORT_BASE,
              clock=None) -> list[tuple[SandboxEmulator, EmulatorServer]]:
    """Start every emulator on its port moved by ``port_base`` (8701 keeps the default ports); 0 picks free ports."""
    servers = []
    try:
        for entry, emulator in build_emulators(clock):
            port = entry.port - DEFAULT_PORT_BASE + port_base if port_base else 0
            servers.append((entry, EmulatorServer(emulator, host=host, port=port).start()))
    except BaseException:  # a port in use: stop the ones already listening
        for _, server in servers:
            server.stop()
        raise
    return servers


def serve_forever(host: str, port_base: int) -> None:
    """Serve until interrupted, printing where each emulator listens."""
    servers = start_all(host, port_base)
    for entry, server in servers:
        print(f"{entry.label or entry.name:<20} {server.url}")
    from publisher.foundation.i18n import _

    print(_("sandbox running; Ctrl-C to stop"), flush=True)
    try:
        threading.Event().wait()
    finally:
        for _, server in servers:
            server.stop()
