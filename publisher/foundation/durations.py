"""Durations in configuration: ``90``, ``"90s"``, ``"15m"``, ``"1h30m"``, ``"7d"``, ISO 8601 ``"PT6H"``."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

from publisher.foundation.i18n import _

_COMPACT = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.I)
_ISO = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?", re.I)
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
MAX_SECONDS = 100 * 366 * 86400  # a hundred years: anything longer is a typo


def _seconds(value: float, original: Any) -> timedelta:
    if not math.isfinite(value):
        raise ValueError(_("{original!r} is not a finite duration").format(original=original))
    if value <= 0:
        raise ValueError(_("must be longer than zero"))
    if value > MAX_SECONDS:
        raise ValueError(_("{original!r} is longer than a hundred years").format(original=original))
    return timedelta(seconds=value)


def parse_duration(value: Any) -> timedelta:
    """``6h``, ``15m``, ``1h30m``, ``2d``, ``90s``, ISO 8601 ``PT6H``/``P1DT2H``, or seconds -> timedelta."""
    if isinstance(value, timedelta):
        result = _seconds(value.total_seconds(), value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        result = _seconds(float(value), value)
    elif isinstance(value, str):
        text = value.strip()
        compact = re.sub(r"\s+", "", text)
        if len(compact) > 100:
            raise ValueError(_("not a duration (longer than 100 characters)"))
        if re.fullmatch(r"\d+(\.\d+)?", compact):
            result = _seconds(float(compact), value)
        elif compact and re.fullmatch(r"(?:\d+(?:\.\d+)?(?:d|h|m|s))+", compact, re.I):
            result = _seconds(sum(float(n) * _UNITS[u.lower()] for n, u in _COMPACT.findall(compact)), value)
        else:
            match = _ISO.fullmatch(compact)
            if not match or compact.upper() in ("P", "PT") or compact.upper().endswith("T"):
                raise ValueError(_("{value!r} is not a duration (use e.g. 6h, 15m, 1h30m, 2d or PT6H)").format(
                                     value=value))
            weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
            result = _seconds(weeks * 604800 + days * 86400 + hours * 3600 + minutes * 60 + seconds, value)
    else:
        raise ValueError(_("{value!r} is not a duration (use e.g. 6h, 15m, 1h30m, 2d or PT6H)").format(value=value))
    if result <= timedelta(0):
        raise ValueError(_("must be longer than zero"))
    return result
