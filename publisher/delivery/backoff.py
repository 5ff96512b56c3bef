"""Retry timing: exponential backoff with jitter, honouring a channel's Retry-After."""

from __future__ import annotations

import random

from publisher.config.load import RetryConfig


def backoff_seconds(attempts: int, retry: RetryConfig, *, retry_after: float | None = None,
                    rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt."""
    rng = rng or random
    delay = min(retry.max_delay, retry.base_delay * (2 ** max(0, attempts - 1)))
    delay *= 1 + rng.uniform(-retry.jitter, retry.jitter)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return max(0.0, delay)
