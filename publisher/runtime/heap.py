"""The daemon's heap once it has started: what start-up loaded is kept out of the cyclic collector's full passes."""

from __future__ import annotations

import gc

_settled = False


def settle() -> None:
    """Collect once, then freeze what is alive (modules, config, adapters, the engine), once per process.

    A full collection then walks only what the daemon made since; over the whole heap one stalled every worker
    thread for about 50 ms in the latency bench (the interpreter lock is held throughout). Objects that die later
    are still freed by their reference counts."""
    global _settled
    if not _settled:
        gc.collect()
        gc.freeze()
        _settled = True
