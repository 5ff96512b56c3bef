"""`publisher run` settles its heap once it has started: what start-up loaded is frozen out of the collector's full
passes (which otherwise stall every worker for tens of milliseconds), once per process."""

from __future__ import annotations

import subprocess
import sys


def test_the_heap_is_frozen_once_and_later_garbage_is_still_collected():
    script = (
        "import gc, weakref\n"
        "from publisher.runtime import heap\n"
        "heap.settle(); frozen = gc.get_freeze_count(); heap.settle()\n"
        "assert frozen > 1000 and gc.get_freeze_count() == frozen, (frozen, gc.get_freeze_count())\n"
        "class Node: pass\n"
        "a, b = Node(), Node(); a.other, b.other = b, a; alive = weakref.ref(a); del a, b\n"
        "gc.collect(); assert alive() is None  # a cycle made after start-up is collected as before\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
