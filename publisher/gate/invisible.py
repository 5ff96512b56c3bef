"""Characters a reader does not see: zero-width spaces and joiners, bidi controls, soft hyphens, BOMs.

The gate reads text with them removed, so that a number cannot hide behind one; titles refuse them.
"""

from __future__ import annotations

import re

INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e"
                       "\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_invisible(text: str) -> str:
    """``text`` without the characters a reader does not see."""
    return INVISIBLE.sub("", text) if text else text


def invisible_in(text: str) -> list[str]:
    """The invisible or bidi control characters in ``text``, as ``U+200B`` names (each once, in order)."""
    seen: list[str] = []
    for match in INVISIBLE.finditer(text or ""):
        code = f"U+{ord(match.group()):04X}"
        if code not in seen:
            seen.append(code)
    return seen
