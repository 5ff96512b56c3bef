"""A tiny threaded HTTP server for emulators: routing, fault injection, loopback only."""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """An incoming request, parsed."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header, case-insensitively."""
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        """The body parsed as UTF-8 JSON (raises ValueError when it is not)."""
        return json.loads(self.body.decode("utf-8"))

    def form(self, encoding: str = "utf-8") -> dict[str, list[str]]:
        """An ``application/x-www-form-urlencoded`` body decoded with ``encoding``."""
        return parse_qs(self.body.decode("ascii", "replace"), keep_blank_values=True, encoding=encoding)


@dataclass
class Response:
    """What a handler returns."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A UTF-8 JSON response with Chinese left unescaped, as the real platforms send."""
    body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def html_response(text: str, status: int = 200, encoding: str = "utf-8", headers: dict[str, str] | None = None) -> Response:
    """An HTML page in the given encoding."""
    return Response(status, text.encode(encoding), {"Content-Type": f"text/html; charset={encoding}", **(headers or {})})


@dataclass
class Fault:
    """One injected fault. ``kind``: status | slow | gated | accept_then_timeout | accept_then_drop |
    accept_then_status | never_answer | trickle | status_then_stall.

    ``status`` answers without handling the request; ``accept_then_status`` handles it, then answers
    ``status`` anyway (a gateway 502/504 after the backend saved). ``gated`` holds the request until ``gate``
    (a threading.Event) is set or ``seconds`` pass, then handles it: a slow save that commits late.
    ``never_answer`` accepts the request and neither handles nor answers it (until the server stops);
    ``trickle`` handles it, then sends the whole answer, status line first, one byte every ``seconds``.
    ``status_then_stall`` sends ``status`` (and ``retry_after``) with its headers at once and the body ``seconds``
    later; ``sent_at`` is set (wall clock) the moment the headers went out.
    ``path`` (a regex) limits it to matching request paths; ``times`` is how many requests it hits.
    """

    kind: str
    status: int = 503
    retry_after: float | None = None
    seconds: float = 0.0
    path: str | None = None
    times: int = 1
    body: Any = None
    gate: threading.Event | None = None
    method: str | None = None  # limits it to requests of this method (e.g. a slow POST, not the look-up's GET)
    sent_at: datetime | None = None  # status_then_stall: when its status line and headers were sent


class FaultPlan:
    """Faults waiting to hit the next matching requests, in order."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._random: list[tuple[float, dict[str, Any]]] = []
        self._random_path: str | None = None
        self._rng = random.Random(0)

    def randomly(self, choices: list[tuple[float, dict[str, Any]]], *, seed: int = 0, path: str | None = None) -> None:
        """Also hit requests at random: each ``(probability, Fault fields)`` is drawn independently per request
        (after queued faults); ``path`` limits it to matching paths. An empty list stops it."""
        with self._lock:
            self._random, self._random_path, self._rng = list(choices), path, random.Random(seed)

    def add(self, kind: str, **kwargs: Any) -> Fault:
        """Queue a fault; see :class:`Fault` for the arguments."""
        fault = Fault(kind=kind, **kwargs)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()

    def take(self, path: str, method: str | None = None) -> Fault | None:
        """The fault for this request, if any (consumes one of its ``times``)."""
        with self._lock:
            for fault in self._faults:
                if fault.method is not None and method is not None and fault.method.upper() != method.upper():
                    continue
                if fault.path is None or re.search(fault.path, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
            if self._random and (self._random_path is None or re.search(self._random_path, path)):
                draw, edge = self._rng.random(), 0.0
                for probability, spec in self._random:
                    edge += probability
                    if draw < edge:
                        return Fault(**spec)
        return None

    def pending(self) -> int:
        """How many faults are still queued."""
        with self._lock:
            return sum(f.times for f in self._faults)


@dataclass
class FormPart:
    """One part of a ``multipart/form-data`` body."""

    name: str | None
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(body: bytes, content_type: str, encoding: str = "utf-8") -> list[FormPart]:
    """Split a ``multipart/form-data`` body into its parts; part headers are read as ``encoding``.

    Raises ValueError when ``content_type`` names no boundary.
    """
    match = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not match:
        raise ValueError("no multipart boundary")
    parts = []
    for chunk in body.split(b"--" + match.group(1).encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = {}
        for line in head.split(b"\r\n"):
            key, _, value = line.decode(encoding, "replace").partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        parts.append(FormPart(name.group(1) if name else None, filename.group(1) if filename else None,
                              headers.get("content-type"), data.removesuffix(b"\r\n")))
    return parts


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Seen:
    """One request as the emulator saw it: when (by ``request_clock``), what, and the status it answered."""

    at: datetime | None
    method: str
    path: str
    status: int | None  # None: no answer (the connection was dropped or timed out)
    retry_after: float | None = None


class Emulator:
    """Base of emulators: register routes with :meth:`route`, serve with :class:`EmulatorServer`.

    Every emulator also answers ``POST /_sandbox/faults`` (JSON :class:`Fault` fields, or a list)
    and ``DELETE /_sandbox/faults``, so faults can be injected from outside the process.
    """

    name = "emulator"

    def __init__(self) -> None:
        self.faults = FaultPlan()
        self.lock = threading.RLock()
        self.requests_seen = 0
        self.request_clock: Callable[[], datetime] | None = None  # stamps ``seen`` (a test's simulated clock)
        self.seen: list[Seen] = []  # every request but ``/_sandbox/`` ones, in arrival order
        self.active = 0  # requests being handled right now
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._stop = threading.Event()
        self.route("POST", "/_sandbox/faults", self._add_faults)
        self.route("DELETE", "/_sandbox/faults", self._clear_faults)

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve ``method`` requests whose path fully matches ``pattern`` (named groups become params)."""
        self._routes.append((method.upper(), re.compile(pattern), handler))

    def dispatch(self, request: Request) -> Response:
        """Find the handler for a request; 404/405 otherwise."""
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match:
                if method != request.method:
                    allowed = True
                    continue
                request.params = match.groupdict()
                return handler(request)
        return json_response({"error": "method not allowed" if allowed else "not found"}, 405 if allowed else 404)

    def idle(self) -> bool:
        """True when no request is being handled (nothing a killed client sent is still committing)."""
        with self.lock:
            return self.active == 0

    def inside_retry_after(self) -> list[Seen]:
        """Requests that arrived strictly after a 429 with Retry-After and before its end (by ``request_clock``)."""
        with self.lock:
            seen = list(self.seen)
        windows = [(s.at, s.at + timedelta(seconds=s.retry_after)) for s in seen
                   if s.status == 429 and s.retry_after and s.at is not None]
        return [s for s in seen if s.at is not None and any(start < s.at < end for start, end in windows)]

    def wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``, waking early when the server stops."""
        self._stop.wait(seconds)

    def _add_faults(self, request: Request) -> Response:
        data = request.json()
        for spec in data if isinstance(data, list) else [data]:
            self.faults.add(**spec)
        return json_response({"pending": self.faults.pending()})

    def _clear_faults(self, request: Request) -> Response:
        self.faults.clear()
        return json_response({"pending": 0})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see docs/sandbox.md: without it every request waits ~40 ms
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            super().log_message(format, *args)

    def _handle(self) -> None:
        emulator = self.server.emulator
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        internal = parts.path.startswith("/_sandbox/")
        at = emulator.request_clock() if emulator.request_clock is not None else None
        with emulator.lock:
            emulator.requests_seen += 1
            emulator.active += 1
        response: Response | None = None
        fault = None if internal else emulator.faults.take(parts.path, self.command)
        try:
            response = self._answer(emulator, request, fault)
        finally:
            with emulator.lock:
                emulator.active -= 1
                if not internal:
                    retry_after = response.headers.get("Retry-After") if response else None
                    emulator.seen.append(Seen(at, request.method, request.path, response.status if response else None,
                                              float(retry_after) if retry_after else None))
        if response is not None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError, OSError):  # the client gave up waiting
                if fault is not None and fault.kind == "trickle":
                    self._trickle(emulator, response, fault.seconds or 1.0)
                elif fault is not None and fault.kind == "status_then_stall":
                    self._stall(emulator, response, fault)
                else:
                    self._send(response)

    def _answer(self, emulator: Emulator, request: Request, fault: Fault | None) -> Response | None:
        """The response to send, or None when the fault leaves the client without one."""
        if fault and fault.kind == "never_answer":
            emulator.wait(86400)
            self.close_connection = True
            return None
        if fault and fault.kind == "slow":
            emulator.wait(fault.seconds)
            fault = None
        if fault and fault.kind == "gated":
            if fault.gate is not None:
                fault.gate.wait(fault.seconds or 30.0)
            else:
                emulator.wait(fault.seconds)
            fault = None
        if fault and fault.kind in ("status", "status_then_stall"):
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            payload = fault.body if fault.body is not None else {"error": f"injected {fault.status}"}
            return json_response(payload, fault.status, headers)
        try:
            response = emulator.dispatch(request)
        except Exception as exc:  # an emulator bug must show as a 500, not hang the client
            response = json_response({"error": f"emulator error: {exc!r}"}, 500)
        if fault and fault.kind == "accept_then_timeout":
            emulator.wait(fault.seconds or 30.0)
            self.close_connection = True
            return None
        if fault and fault.kind == "accept_then_status":
            payload = fault.body if fault.body is not None else {"error": f"injected {fault.status}"}
            response = json_response(payload, fault.status)
        if fault and fault.kind == "accept_then_drop":
            self.close_connection = True
            with contextlib.suppress(OSError):  # the client may have hung up already
                self.connection.shutdown(socket.SHUT_RDWR)
            return None
        return response

    def _trickle(self, emulator: Emulator, response: Response, seconds: float) -> None:
        """Send ``response`` one byte every ``seconds`` (a slow line that never times out a single read)."""
        head = [f"HTTP/1.1 {response.status} X\r\n"] + [f"{k}: {v}\r\n" for k, v in response.headers.items()]
        head.append(f"Content-Length: {len(response.body)}\r\nConnection: close\r\n\r\n")
        raw = "".join(head).encode("latin-1") + response.body
        self.close_connection = True
        for index in range(len(raw)):
            if emulator._stop.is_set():
                return
            self.wfile.write(raw[index:index + 1])
            self.wfile.flush()
            emulator.wait(seconds)

    def _stall(self, emulator: Emulator, response: Response, fault: Fault) -> None:
        """Send ``response``'s status line and headers now, and its body ``fault.seconds`` later."""
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.flush()
        fault.sent_at = datetime.now(timezone.utc)
        emulator.wait(fault.seconds)
        self.wfile.write(response.body)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the stdlib's 5 stalls bursts of new connections for ~1 s

    def __init__(self, address: tuple[str, int], emulator: Emulator, verbose: bool):
        self.emulator = emulator
        self.verbose = verbose
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return  # the client went away (killed, or it gave up waiting): nothing to report
        super().handle_error(request, client_address)


class EmulatorServer:
    """Serve one emulator on loopback in a background thread; use as a context manager."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0, verbose: bool = False):
        self.emulator = emulator
        self._server = _Server((host, port), emulator, verbose)
        # the poll interval is how long stop() waits for the serving thread to notice (a test stops one per test)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name=f"sandbox-{emulator.name}", daemon=True)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        """The bound port."""
        return self._server.server_address[1]

    def start(self) -> "EmulatorServer":
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wake any request held by a fault."""
        self.emulator._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until true or ``timeout``; for tests that watch a server-side effect."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()
