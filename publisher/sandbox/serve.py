"""``publisher sandbox``: every emulator on consecutive loopback ports, as the default config expects."""

from __future__ import annotations

import threading

from publisher.sandbox.server import EmulatorServer

DEFAULT_PORT_BASE = 8701


def build_emulators(clock=None) -> list[tuple[str, object]]:
    """The emulators the sandbox serves, in port order, with their default credentials.

    ``clock`` (an object with ``now()``) drives token expiry and quotas, e.g. the demo's simulated clock.
    """
    from channels.cms.emulator import CmsEmulator, DomesticCmsEmulator
    from channels.resource_site.emulator import ResourceSiteEmulator
    from publisher.sandbox.waterquality import WaterQualityEmulator
    from channels.wechat.emulator import WechatEmulator
    from channels.wordpress.emulator import WordpressEmulator

    return [
        ("cms", CmsEmulator()),
        ("wechat", WechatEmulator(clock=clock)),
        ("resource_site", ResourceSiteEmulator(clock=clock)),
        ("wordpress", WordpressEmulator()),
        ("water-quality data", WaterQualityEmulator()),
        ("cms-domestic", DomesticCmsEmulator()),
    ]


def start_all(host: str = "127.0.0.1", port_base: int = DEFAULT_PORT_BASE, clock=None) -> list[tuple[str, EmulatorServer]]:
    """Start every emulator (port_base, port_base+1, ...); ``port_base=0`` picks free ports."""
    servers = []
    try:
        for offset, (name, emulator) in enumerate(build_emulators(clock)):
            port = port_base + offset if port_base else 0
            servers.append((name, EmulatorServer(emulator, host=host, port=port).start()))
    except BaseException:  # a port in use: stop the ones already listening
        for _, server in servers:
            server.stop()
        raise
    return servers


def serve_forever(host: str, port_base: int) -> None:
    """Serve until interrupted, printing where each emulator listens."""
    servers = start_all(host, port_base)
    for name, server in servers:
        print(f"{name:<20} {server.url}")
    print("sandbox running; Ctrl-C to stop")
    try:
        threading.Event().wait()
    finally:
        for _, server in servers:
            server.stop()
