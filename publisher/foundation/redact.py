"""Scrub secrets from text before it reaches an error message, an event or a log line."""

from __future__ import annotations

import logging
import re
from typing import Any, Iterable

# scheme://user:password@host or scheme://token@host: everything between :// and @ goes
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@'\"<>]+@")
MASK = "***"


def scrub(text: Any, secrets: Iterable[str] = ()) -> Any:
    """``text`` without credentials in URLs and without any of ``secrets``; other types are returned as they are."""
    if not isinstance(text, str):
        return text
    text = _URL_CREDENTIALS.sub(lambda m: m.group("scheme") + MASK + "@", text)
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def scrub_data(value: Any, secrets: Iterable[str] = ()) -> Any:
    """:func:`scrub` applied to every string inside a JSON-like value (dicts, lists)."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {k: scrub_data(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_data(v, secrets) for v in value]
    return value


class ScrubbingFilter(logging.Filter):
    """A logging filter that scrubs each record's message (arguments applied first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


def install_log_scrubbing() -> None:
    """Scrub every handler of the root logger (call after logging is configured)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ScrubbingFilter) for f in handler.filters):
            handler.addFilter(ScrubbingFilter())
