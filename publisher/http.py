"""Small HTTP helpers shared by adapters: sessions, Retry-After, error mapping."""

from __future__ import annotations

import email.utils
import logging
import os
import re
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Iterator

from publisher import __version__
from publisher.errors import OutcomeUnknown, RetryableError
from publisher.foundation.i18n import N_

if TYPE_CHECKING:  # imported where a request is made: read-only commands never load it
    import requests


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
    import requests

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
    if value.isdecimal():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


class ChannelHeld(RetryableError):
    """The channel is held (a Retry-After, a pause): the request was not sent."""


class RequestScope:
    """One delivery attempt as :func:`send` sees it: which requests may have gone out, and the channel's hold.

    The dispatcher opens one around every adapter call (:func:`request_scope`); ``send`` refuses to start a
    request while ``held_until()`` names a time (another worker or daemon saw a Retry-After), and records each
    request that may have left, so the dispatcher knows whether an unexpected error came before or after
    sending and until when an earlier request may still be in flight.
    """

    def __init__(self, now: Callable[[], datetime], held_until: Callable[[], datetime | None] | None = None):
        self.now = now
        self.held_until = held_until
        self.sent = 0  # requests that may have reached the channel
        self.in_flight_until: datetime | None = None  # the latest (start + timeout) of those requests
        self.refused_until: datetime | None = None  # set when a request was refused because of a hold
        self.retry_after: float | None = None  # seconds the channel itself asked for (429/503 + Retry-After)

    def before_request(self, url: str) -> None:
        """Refuse to start a request while the channel is held."""
        until = self.held_until() if self.held_until is not None else None
        if until is not None:
            self.refused_until = until
            seconds = max(0.0, (until - self.now()).total_seconds())
            raise ChannelHeld(N_("not sent to {origin}: the channel is held until {until:%H:%M:%S} UTC").format(
                                  origin=_origin(url), until=until),
                              retry_after=seconds)

    def started(self, timeout: float) -> None:
        """A request is about to leave; it may be in flight until ``timeout`` seconds from now."""
        self.sent += 1
        deadline = self.now() + timedelta(seconds=timeout)
        if self.in_flight_until is None or deadline > self.in_flight_until:
            self.in_flight_until = deadline

    def not_sent(self) -> None:
        """The request just started never left (connection refused, connect timeout)."""
        self.sent -= 1

    def answered(self, response: requests.Response) -> None:
        """Note a Retry-After the channel sent with a 429 or 503: it holds the whole channel."""
        if response.status_code in (429, 503):
            seconds = retry_after_seconds(response.headers.get("Retry-After"), self.now())
            if seconds and (self.retry_after is None or seconds > self.retry_after):
                self.retry_after = seconds


_scope = threading.local()


@contextmanager
def request_scope(scope: RequestScope) -> Iterator[RequestScope]:
    """Make ``scope`` the current thread's :class:`RequestScope` for the calls inside the block."""
    previous = getattr(_scope, "current", None)
    _scope.current = scope
    try:
        yield scope
    finally:
        _scope.current = previous


def current_scope() -> RequestScope | None:
    """The thread's open :class:`RequestScope`, if a dispatcher opened one."""
    return getattr(_scope, "current", None)


def send(session: requests.Session, method: str, url: str, *, timeout: float, **kwargs) -> requests.Response:
    """Send a request, turning transport failures into the error tree.

    A failure before the request left (connection refused, DNS) is retryable; a read timeout or a
    dropped connection after sending means the outcome is unknown. Inside a :class:`RequestScope` a
    held channel refuses the request (:class:`ChannelHeld`) and every request that may have left is counted.
    """
    import requests

    scope = current_scope()
    if scope is not None:
        scope.before_request(url)
        scope.started(timeout)
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.exceptions.ConnectTimeout as exc:
        if scope is not None:
            scope.not_sent()
        raise RetryableError(N_("cannot connect to {origin}: timed out").format(origin=_origin(url))) from exc
    except requests.exceptions.ReadTimeout as exc:
        raise OutcomeUnknown(N_("no answer from {origin} within {timeout:g}s after sending").format(
                                 origin=_origin(url), timeout=timeout)) from exc
    except requests.exceptions.ConnectionError as exc:
        if _sent(exc):
            raise OutcomeUnknown(N_("connection to {origin} dropped after sending").format(
                                     origin=_origin(url))) from exc
        if scope is not None:
            scope.not_sent()
        raise RetryableError(N_("cannot connect to {origin}: {reason}").format(
                                 origin=_origin(url), reason=_reason(exc))) from exc
    if scope is not None:
        scope.answered(response)
    return response


def raise_for_transient_status(response: requests.Response) -> None:
    """Raise RetryableError for 429 and 5xx (honouring Retry-After)."""
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryableError(
            N_("HTTP {status_code} from {origin}").format(
                status_code=response.status_code, origin=_origin(response.url)),
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
        return N_("connection refused")
    return text.split(":")[-1].strip() or exc.__class__.__name__
