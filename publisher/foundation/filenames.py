"""File names given by people (uploads, attachments) made safe to store and publish: no folders, no ``..``, no
control, invisible or text-direction characters, not too long."""

from __future__ import annotations

import re
import unicodedata

NAME_MAX = 200
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff<>:\"|?*]")


def safe_filename(name: str, default: str = "attachment") -> str:
    """The last part of ``name`` (either slash), NFC, without unsafe characters or leading dots and spaces, at most
    200 characters (the extension kept); ``default`` when nothing is left."""
    last = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    cleaned = _UNSAFE.sub("", last).strip().lstrip(".").strip()
    if not cleaned:
        return default
    if len(cleaned) > NAME_MAX:
        stem, dot, suffix = cleaned.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            cleaned = stem[:NAME_MAX - len(suffix) - 1] + "." + suffix
        else:
            cleaned = cleaned[:NAME_MAX]
    return cleaned
