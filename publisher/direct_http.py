"""Plain HTTP/1.1 requests straight over :mod:`http.client`, on connections kept alive per thread and origin.

:func:`publisher.http.send` takes this path for a channel's plain request (see ``_prepared_send``): the request
requests would send, and a requests ``Response`` back whose body requests reads as usual, at about half the CPU
per call of requests' adapter over urllib3's pool (measured on loopback: 330 µs against 600 µs). Failures are raised as the requests exceptions the
adapter would raise, so what counts as "not sent" and "outcome unknown" is decided in one place
(``publisher.http._transfer``).
"""

from __future__ import annotations

import http.client
import os
import select
import socket
import ssl
import threading
import time
import zlib
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from requests.cookies import extract_cookies_to_jar
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_encoding_from_headers
from urllib3.exceptions import ProtocolError

#: Content codings this path decodes; a request accepting others goes through requests' adapter instead.
DECODED = frozenset({"gzip", "deflate", "identity"})
_PORTS = {"http": 80, "https": 443}


class DirectConnections:
    """An adapter's kept-alive connections: one per thread and origin (a thread's requests never share one), all
    closed together by :meth:`close`."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._open: set[http.client.HTTPConnection] = set()
        self._unread: set[http.client.HTTPConnection] = set()  # an answer not read to its end is still on these
        self._lock = threading.Lock()
        self._contexts: dict[object, ssl.SSLContext] = {}

    def connection(self, scheme: str, host: str, port: int, verify: bool | str) -> http.client.HTTPConnection:
        """This thread's connection to the origin (a new one when it has none, or the server closed it)."""
        mine = self._local.__dict__.setdefault("connections", {})
        key = (scheme, host, port, verify)
        conn = mine.get(key)
        if conn is not None and conn.sock is not None and (conn in self._unread or _closed_by_peer(conn.sock)):
            self.discard(conn)
        if conn is None:
            if scheme == "https":
                conn = http.client.HTTPSConnection(host, port, context=self._context(verify))
            else:
                conn = http.client.HTTPConnection(host, port)
            mine[key] = conn
            with self._lock:
                self._open.add(conn)
        return conn

    def discard(self, conn: http.client.HTTPConnection) -> None:
        """Close ``conn`` (its state is unknown after a failure or an unread answer); the next request reconnects."""
        self._unread.discard(conn)
        conn.close()

    def answering(self, conn: http.client.HTTPConnection) -> None:
        """An answer is being read on ``conn``: it carries no other request until :meth:`answered`."""
        self._unread.add(conn)

    def answered(self, conn: http.client.HTTPConnection) -> None:
        """The answer on ``conn`` was read to its end: the connection may carry the next request."""
        self._unread.discard(conn)

    def close(self) -> None:
        """Close every thread's connections."""
        with self._lock:
            opened, self._open = self._open, set()
        for conn in opened:
            conn.close()

    def _context(self, verify: bool | str) -> ssl.SSLContext:
        context = self._contexts.get(verify)
        if context is None:
            if verify is False:
                context = ssl.create_default_context()
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            else:
                bundle = DEFAULT_CA_BUNDLE_PATH if verify is True else verify
                context = (ssl.create_default_context(capath=bundle) if os.path.isdir(bundle)
                           else ssl.create_default_context(cafile=bundle))
            self._contexts[verify] = context
        return context


def usable(prepared: requests.PreparedRequest, verify: object, cert: object) -> bool:
    """Whether this path sends ``prepared`` exactly as requests' adapter would: no client certificate, and an
    answer in a coding it decodes."""
    if cert is not None or not isinstance(verify, (bool, str)):
        return False
    accepted = prepared.headers.get("Accept-Encoding", "identity")
    return all(coding.strip().split(";")[0] in DECODED for coding in accepted.split(","))


def send(connections: DirectConnections, prepared: requests.PreparedRequest, *, timeout: float,
         verify: bool | str, adapter: object, watch) -> requests.Response:
    """Send ``prepared`` on this thread's connection to its origin; returns at the status line and headers (the
    caller reads the body through ``Response.iter_content``). ``watch`` is told which connection is used."""
    parts = urlsplit(prepared.url)
    try:
        conn = connections.connection(parts.scheme, parts.hostname, parts.port or _PORTS[parts.scheme], verify)
    except OSError as exc:  # a CA file or folder that cannot be read: nothing was sent
        raise requests.exceptions.ConnectionError(exc, request=prepared) from exc
    watch.add(conn)
    started = time.perf_counter()
    if conn.sock is None:
        conn.timeout = timeout
        try:
            conn.connect()
        except socket.timeout as exc:
            connections.discard(conn)
            raise requests.exceptions.ConnectTimeout(exc, request=prepared) from exc
        except OSError as exc:  # refused, unreachable, a name that does not resolve, a TLS handshake refused
            connections.discard(conn)
            raise requests.exceptions.ConnectionError(exc, request=prepared) from exc
    else:
        conn.sock.settimeout(timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(prepared.method, target, body=prepared.body, headers=prepared.headers)
        connections.answering(conn)
        answer = conn.getresponse()
    except socket.timeout as exc:
        connections.discard(conn)
        raise requests.exceptions.ReadTimeout(exc, request=prepared) from exc
    except (OSError, http.client.HTTPException) as exc:  # the request may have left: as urllib3 says it
        connections.discard(conn)
        raise requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", exc),
                                                  request=prepared) from exc
    return _response(prepared, answer, _Body(answer, conn, connections), adapter, time.perf_counter() - started)


def _response(prepared: requests.PreparedRequest, answer: http.client.HTTPResponse, body: "_Body", adapter: object,
              elapsed: float) -> requests.Response:
    """The requests ``Response`` for ``answer``, as requests' adapter builds it."""
    headers: dict[str, str] = {}
    for name, value in answer.getheaders():  # repeated fields joined, as urllib3 does
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    response = requests.Response()
    response.status_code, response.reason = answer.status, answer.reason
    response.headers = CaseInsensitiveDict(headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response.raw, response.url, response.request, response.connection = body, prepared.url, prepared, adapter
    response.elapsed = timedelta(seconds=elapsed)
    if "Set-Cookie" in response.headers:
        extract_cookies_to_jar(response.cookies, prepared, body)
    return response


class _Body:
    """An answer's body as requests' ``Response`` reads it (``stream``), decoded; its connection is kept for the
    next request once the body was read to its end, and closed otherwise."""

    def __init__(self, answer: http.client.HTTPResponse, conn: http.client.HTTPConnection,
                 connections: DirectConnections):
        self._original_response = answer  # requests' cookie handling reads the headers from here
        self._conn = conn
        self._connections = connections

    def stream(self, amount: int, decode_content: bool = True):
        """The body in pieces of at most ``amount`` bytes as read, decoded."""
        answer = self._original_response
        decoder = _decoder(answer.getheader("Content-Encoding", "")) if decode_content else None
        try:
            while chunk := answer.read(amount):
                if decoder is not None:
                    chunk = decoder.decompress(chunk)
                if chunk:
                    yield chunk
            if decoder is not None and (tail := decoder.flush()):
                yield tail
            self._connections.answered(self._conn)
        except (OSError, http.client.HTTPException, zlib.error) as exc:  # after sending: requests' "connection broken"
            self._connections.discard(self._conn)
            raise ProtocolError("Connection broken", exc) from exc

    def close(self) -> None:
        """Stop reading: a connection with an answer left unread cannot carry another request."""
        if not self._original_response.isclosed():
            self._connections.discard(self._conn)


def _decoder(coding: str):
    coding = coding.strip().lower()
    if coding == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return _Deflate()
    return None


class _Deflate:
    """``deflate`` as servers send it: zlib-wrapped, or (against the standard, but common) raw."""

    def __init__(self) -> None:
        self._inner = zlib.decompressobj()
        self._first = True

    def decompress(self, data: bytes) -> bytes:
        if self._first:
            self._first = False
            try:
                return self._inner.decompress(data)
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._inner.decompress(data)

    def flush(self) -> bytes:
        return self._inner.flush()


def _closed_by_peer(sock: socket.socket) -> bool:
    """Whether the server closed an idle kept-alive connection (or sent something unasked): it is not reused.
    (poll, not select: a daemon's descriptors may number past select's limit of 1024.)"""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    try:
        return bool(poller.poll(0))
    except OSError:
        return True
