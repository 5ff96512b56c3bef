"""A CMS endpoint in a process of its own, as a real portal is: the bench's channels and its plain loop both talk
to it over loopback. Prints its URL on the first line, then serves until its standard input closes.

    python bench/endpoint.py [--latency SECONDS]

Besides the CMS emulator's API it answers ``GET /_sandbox/stats`` (create calls, live articles) and
``POST /_sandbox/reset`` (forget every article), which the bench uses between runs.
"""

from __future__ import annotations

import argparse
import sys
import time

from channels.cms.emulator import CmsEmulator
from publisher.sandbox.server import EmulatorServer, json_response

TOKEN = "sandbox-cms-token"


class BenchCms(CmsEmulator):
    """The CMS emulator, answering every API request ``latency`` seconds after it was read (its own work included,
    as a portal's latency includes its own), with stats and reset routes."""

    def __init__(self, latency: float = 0.0):
        super().__init__(token=TOKEN)
        self.latency = latency
        self.route("GET", "/_sandbox/stats", lambda request: json_response(
            {"create_calls": self.create_calls, "live": len(self.live_articles())}))
        self.route("POST", "/_sandbox/reset", self._reset)

    def _reset(self, request):
        self.reset()
        return json_response({"reset": True})

    def dispatch(self, request):
        if not self.latency or request.path.startswith("/_sandbox/"):
            return super().dispatch(request)
        start = time.perf_counter()
        answer = super().dispatch(request)
        time.sleep(max(0.0, self.latency - (time.perf_counter() - start)))  # its own work counts in the latency
        return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    with EmulatorServer(BenchCms(args.latency)) as server:
        print(server.url, flush=True)
        sys.stdin.read()  # until the bench closes our input (or dies)


if __name__ == "__main__":
    main()
