"""Small HTTP helpers shared by adapters: sessions, Retry-After, error mapping."""

from __future__ import annotations

import email.utils
import logging
import os
import re
import threading
from datetime import datetime, timezone
from typing import Callable

import requests

from . import __version__
from .errors import OutcomeUnknown, RetryableError


class RedactSecrets(logging.Filter):
    """Blank tokens, secrets and passwords out of log lines (urllib3's debug lines print full URLs)."""

    _pattern = re.compile(r"((?:access_token|token|secret|password|passwd|key)=)[^&\s\"']+", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._pattern.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install_redaction() -> None:
    """Attach :class:`RedactSecrets` to urllib3's request logger (idempotent)."""
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())


install_redaction()


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def new_session() -> requests.Session:
    """A requests session with publisher's User-Agent.

    Proxy settings are honoured when a proxy variable is set; otherwise the environment is not
    re-read on every request (requests does that by default, and it is a measurable cost per call).
    """
    session = requests.Session()
    session.headers["User-Agent"] = f"publisher/{__version__}"
    session.trust_env = any(os.environ.get(name) for name in PROXY_VARIABLES)
    return session


class ThreadSessions:
    """One requests session per thread (a Session is not thread-safe), all closed together by :meth:`close`."""

    def __init__(self, configure: Callable[[requests.Session], None] | None = None):
        self._configure = configure
        self._local = threading.local()
        self._open: list[requests.Session] = []
        self._generation = 0
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        """This thread's session (a new one after :meth:`close`)."""
        local = self._local
        if getattr(local, "generation", None) != self._generation:
            session = new_session()
            if self._configure is not None:
                self._configure(session)
            with self._lock:
                self._open.append(session)
                local.session, local.generation = session, self._generation
        return local.session

    def close(self) -> None:
        """Close every thread's session."""
        with self._lock:
            sessions, self._open = self._open, []
            self._generation += 1
        for session in sessions:
            session.close()


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (seconds or an HTTP date) into seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def send(session: requests.Session, method: str, url: str, *, timeout: float, **kwargs) -> requests.Response:
    """Send a request, turning transport failures into the error tree.

    A failure before the request left (connection refused, DNS) is retryable; a read timeout or a
    dropped connection after sending means the outcome is unknown.
    """
    try:
        return session.request(method, url, timeout=timeout, **kwargs)
    except requests.exceptions.ConnectTimeout as exc:
        raise RetryableError(f"cannot connect to {_origin(url)}: timed out") from exc
    except requests.exceptions.ReadTimeout as exc:
        raise OutcomeUnknown(f"no answer from {_origin(url)} within {timeout:g}s after sending") from exc
    except requests.exceptions.ConnectionError as exc:
        if _sent(exc):
            raise OutcomeUnknown(f"connection to {_origin(url)} dropped after sending") from exc
        raise RetryableError(f"cannot connect to {_origin(url)}: {_reason(exc)}") from exc


def raise_for_transient_status(response: requests.Response) -> None:
    """Raise RetryableError for 429 and 5xx (honouring Retry-After)."""
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryableError(
            f"HTTP {response.status_code} from {_origin(response.url)}",
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _sent(exc: requests.exceptions.ConnectionError) -> bool:
    text = repr(exc)
    return any(s in text for s in ("RemoteDisconnected", "Connection aborted", "ProtocolError", "IncompleteRead"))


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    return text.split(":")[-1].strip() or exc.__class__.__name__
