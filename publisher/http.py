"""Small HTTP helpers shared by adapters: sessions, Retry-After, error mapping, and a deadline and a size limit
on every request (:func:`send`)."""

from __future__ import annotations

import email.utils
import json
import logging
import os
import re
import socket
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Iterator

from publisher import __version__
from publisher.errors import OutcomeUnknown, RetryableError
from publisher.foundation.deadlines import WATCHDOG
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


#: Bytes an answer may have when the caller does not say (``ChannelSettings.max_answer_bytes`` through the scope).
ANSWER_LIMIT = 20 * 1024 * 1024
_CHUNK = 65536


class AnswerTooLarge(OutcomeUnknown):
    """The channel's answer was larger than the limit and was cut off: what it said is not known."""


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def new_session() -> requests.Session:
    """A requests session with publisher's User-Agent.

    Proxy settings are honoured when a proxy variable is set; otherwise the environment is not
    re-read on every request (requests does that by default, and it is a measurable cost per call).
    """
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = f"publisher/{__version__}"
    # the codings publisher.direct_http decodes (requests would also offer brotli when some package installed it)
    session.headers["Accept-Encoding"] = "gzip, deflate"
    session.trust_env = any(os.environ.get(name) for name in PROXY_VARIABLES)
    adapter = _watched_adapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


_watch = threading.local()  # the current thread's _Watch while a request runs


class _Watch:
    """The connections one request uses; :meth:`cut` shuts their sockets when the request's deadline passes."""

    def __init__(self) -> None:
        self.connections: list = []
        self.cut_off = False
        self.lock = threading.Lock()

    def add(self, connection) -> None:
        with self.lock:
            self.connections.append(connection)

    def cut(self) -> None:
        with self.lock:
            self.cut_off = True
            for connection in self.connections:
                sock = getattr(connection, "sock", None)
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass


def _watched_adapter():
    """A requests adapter whose connection pools tell the current :class:`_Watch` which connection a request got."""
    from requests.adapters import HTTPAdapter
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    from publisher.direct_http import DirectConnections

    def watched(base):
        class Watched(base):
            def _get_conn(self, timeout=None):
                connection = super()._get_conn(timeout)
                watch = getattr(_watch, "current", None)
                if watch is not None:
                    watch.add(connection)
                return connection

        return Watched

    pools = {"http": watched(HTTPConnectionPool), "https": watched(HTTPSConnectionPool)}

    class WatchedAdapter(HTTPAdapter):
        def __init__(self):
            super().__init__()
            self.direct = DirectConnections()  # plain requests go straight over http.client (_prepared_send)

        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def close(self):
            super().close()
            self.direct.close()

    return WatchedAdapter()


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

    def __init__(self, now: Callable[[], datetime], held_until: Callable[[], datetime | None] | None = None, *,
                 hold: Callable[[float, str], None] | None = None, answer_limit: int | None = None,
                 gate: threading.Lock | None = None, held_here: Callable[[], datetime | None] | None = None):
        self.now = now
        self.held_until = held_until  # the shared read: any daemon's hold (it waits for one being recorded)
        self.held_here = held_here  # the holds this process knows of (a memory read)
        # the channel's lock in this process: a request begins (checked, counted) and a Retry-After is recorded
        # one at a time, so no request of any worker here begins after a 429 was received and before it is held
        self.gate = gate or threading.Lock()
        self.hold = hold  # records a Retry-After for every worker and daemon, the moment it is received
        self.answer_limit = answer_limit  # bytes an answer may have (None: ANSWER_LIMIT)
        self.sent = 0  # requests that may have reached the channel
        self.in_flight_until: datetime | None = None  # the latest (start + timeout) of those requests
        self.refused_until: datetime | None = None  # set when a request was refused because of a hold
        self.retry_after: float | None = None  # seconds the channel itself asked for (429/503 + Retry-After)

    def before_request(self, url: str) -> None:
        """Refuse to start a request while the channel is held."""
        self._refuse(url, self.held_until() if self.held_until is not None else None)

    def _refuse(self, url: str, until: datetime | None) -> None:
        if until is not None:
            self.refused_until = until
            seconds = max(0.0, (until - self.now()).total_seconds())
            raise ChannelHeld(N_("not sent to {origin}: the channel is held until {until:%H:%M:%S} UTC").format(
                                  origin=_origin(url), until=until),
                              retry_after=seconds)

    def begin(self, url: str, timeout: float) -> None:
        """Check the hold and count the request, as one step against :meth:`answered`'s hold.

        The shared read comes first, outside the lock (other workers here do not wait for its round trip); the
        step under the lock reads this process's holds, so one recorded meanwhile here is still seen."""
        until = self.held_until() if self.held_until is not None else None
        with self.gate:
            if until is None and self.held_here is not None:
                until = self.held_here()
            self._refuse(url, until)
            self.started(timeout)

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
        """Note a Retry-After the channel sent with a 429 or 503: it holds the whole channel, recorded at once
        (before the adapter sees the answer), so no other worker or daemon starts a request meanwhile."""
        if response.status_code in (429, 503):
            seconds = retry_after_seconds(response.headers.get("Retry-After"), self.now())
            if seconds and (self.retry_after is None or seconds > self.retry_after):
                self.retry_after = seconds
                if self.hold is not None:
                    with self.gate:
                        self.hold(seconds, f"HTTP {response.status_code} from {_origin(response.url)}")


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

    ``timeout`` bounds the whole request (connect, status line, headers and body, however slowly they trickle),
    and an answer larger than the scope's ``answer_limit`` (else ANSWER_LIMIT) is cut off (:class:`AnswerTooLarge`).
    A failure before the request left (connection refused, DNS) is retryable; a timeout or a dropped connection
    after sending means the outcome is unknown. Inside a :class:`RequestScope` a held channel refuses the request
    (:class:`ChannelHeld`) and every request that may have left is counted. With ``stream=True`` the caller reads
    the body itself, after the deadline.
    """
    scope = current_scope()
    if scope is not None:
        scope.begin(url, timeout)
    streams = kwargs.pop("stream", False)
    limit = scope.answer_limit if scope is not None and scope.answer_limit else ANSWER_LIMIT
    watch = _Watch()
    previous, _watch.current = getattr(_watch, "current", None), watch
    handle = WATCHDOG.after(timeout, watch.cut)
    try:
        response = _transfer(session, method, url, timeout, watch, scope, limit, streams, kwargs)
    finally:
        WATCHDOG.cancel(handle)
        _watch.current = previous
    return response


def _transfer(session, method: str, url: str, timeout: float, watch: _Watch, scope: RequestScope | None,
              limit: int, streams: bool, kwargs: dict) -> requests.Response:
    """The request and (unless the caller streams) its body, each failure as the error tree names it."""
    import requests

    try:
        response = _prepared_send(session, method, url, timeout, kwargs, watch=None if streams else watch)
        if response is None:
            response = session.request(method, url, timeout=timeout, stream=True, **kwargs)
        if scope is not None:  # at the status line and headers: a Retry-After holds the channel before the body
            scope.answered(response)
        if not streams:
            _read_body(response, limit, url)
        if watch.cut_off:  # cut mid-headers, http.client may take what came as a (truncated) answer
            response.close()
            raise requests.exceptions.ReadTimeout()
        return response
    except AnswerTooLarge:
        raise
    except requests.exceptions.ConnectTimeout as exc:
        if scope is not None:
            scope.not_sent()
        raise RetryableError(N_("cannot connect to {origin}: timed out").format(origin=_origin(url))) from exc
    except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError) as exc:
        if watch.cut_off or isinstance(exc, requests.exceptions.ReadTimeout):
            raise OutcomeUnknown(N_("no complete answer from {origin} within {timeout:g}s after sending").format(
                                     origin=_origin(url), timeout=timeout)) from exc
        if isinstance(exc, requests.exceptions.ChunkedEncodingError) or _sent(exc):
            raise OutcomeUnknown(N_("connection to {origin} dropped after sending").format(
                                     origin=_origin(url))) from exc
        if scope is not None:
            scope.not_sent()
        raise RetryableError(N_("cannot connect to {origin}: {reason}").format(
                                 origin=_origin(url), reason=_reason(exc))) from exc


_PLAIN_KWARGS = frozenset({"data", "json", "headers"})
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def _prepared_send(session: requests.Session, method: str, url: str, timeout: float, kwargs: dict, *,
                   watch: _Watch | None) -> requests.Response | None:
    """Send a plain request (a URL needing no quoting, a body of bytes or JSON, headers) without
    :meth:`requests.Session.request`'s per-call merging of cookies, proxies, hooks and settings (a third of
    requests' cost per call); None, before anything is sent, when the session or the call needs those.

    On a session of :func:`new_session` whose answer the caller reads at once (``watch`` given) the request goes
    straight over http.client (:mod:`publisher.direct_http`, another half of the cost); otherwise to the
    session's adapter. Errors, redirects, cookies and the response object stay requests' own (as
    :meth:`requests.Session.send`)."""
    data, body = kwargs.get("data"), kwargs.get("json")
    if (not _PLAIN_KWARGS.issuperset(kwargs) or session.cookies or session.auth or session.trust_env
            or session.proxies or session.params or any(session.hooks.values())
            or not isinstance(data, (bytes, type(None))) or (data is not None and body is not None)
            or not _PLAIN_URL.fullmatch(url)):
        return None
    from requests.cookies import RequestsCookieJar, extract_cookies_to_jar

    from publisher import direct_http

    prepared = _prepared(session, method, url, kwargs.get("headers"), data, body)
    settings = dict(stream=True, timeout=timeout, verify=session.verify, cert=session.cert, proxies={})
    adapter = session.get_adapter(url)
    direct = getattr(adapter, "direct", None)
    if watch is not None and direct is not None and direct_http.usable(prepared, session.verify, session.cert):
        response = direct_http.send(direct, prepared, timeout=timeout, verify=session.verify, adapter=adapter,
                                    watch=watch)
    else:
        response = adapter.send(prepared, **settings)
    if "Set-Cookie" in response.headers:
        extract_cookies_to_jar(session.cookies, prepared, response.raw)
    if response.is_redirect:  # requests' redirect handling carries the cookies set on the way in this jar
        prepared.prepare_cookies(RequestsCookieJar())
        history = [response, *session.resolve_redirects(response, prepared, **settings)]
        response = history.pop()
        response.history = history
    return response


def _prepared(session: requests.Session, method: str, url: str, headers: dict | None, data: bytes | None,
              body: object) -> requests.PreparedRequest:
    """The request as requests would prepare it for these plain arguments."""
    from requests.hooks import default_hooks
    from requests.models import PreparedRequest
    from requests.structures import CaseInsensitiveDict

    merged = CaseInsensitiveDict(session.headers)
    merged.update(headers or {})
    if body is not None:
        data = json.dumps(body, allow_nan=False).encode("utf-8")
        merged.setdefault("Content-Type", "application/json")
    if data is not None:
        merged["Content-Length"] = str(len(data))
    elif method.upper() not in ("GET", "HEAD"):
        merged["Content-Length"] = "0"
    prepared = PreparedRequest()
    prepared.method, prepared.url, prepared.headers, prepared.body = method.upper(), url, merged, data
    prepared.hooks = default_hooks()
    return prepared


def _read_body(response: requests.Response, limit: int, url: str) -> None:
    """Read the body into ``response.content``, cutting it off past ``limit`` bytes."""
    declared = response.headers.get("Content-Length", "")
    chunks: list[bytes] = []
    size = int(declared) if declared.isdecimal() else 0
    if size <= limit:
        size = 0
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                break
            chunks.append(chunk)
    if size > limit:
        response.close()
        raise AnswerTooLarge(N_("the answer from {origin} is larger than {limit} bytes (max_answer_bytes); it was "
                                "cut off").format(origin=_origin(url), limit=limit))
    response._content = b"".join(chunks)
    response._content_consumed = True


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
