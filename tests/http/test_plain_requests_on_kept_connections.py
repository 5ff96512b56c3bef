"""A channel's plain request goes straight over a kept-alive connection (publisher.direct_http): the same bytes
requests would send, the same answer, and the same verdict on "sent or not" when something goes wrong."""

from __future__ import annotations

import contextlib
import gzip
import socket
import ssl
import subprocess
import threading
from datetime import datetime, timezone

import pytest
import requests

from publisher.errors import OutcomeUnknown, RetryableError
from publisher.http import AnswerTooLarge, RequestScope, new_session, request_scope, send


class RawServer:
    """A loopback HTTP/1.1 server written on sockets, so a test decides exactly what each answer is and when a
    connection closes. ``answer(request)`` returns the bytes to write, or None to drop the connection unanswered;
    ``close_after`` closes every connection after its first answer (without saying so)."""

    def __init__(self, answer, *, close_after: bool = False, tls: ssl.SSLContext | None = None):
        self.answer = answer
        self.close_after = close_after
        self.tls = tls
        self.requests: list[dict] = []
        self.connections = 0
        self.closed = threading.Semaphore(0)  # released each time this server closed a connection
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        if self.tls is not None:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except OSError:  # the client refused our certificate
                conn.close()
                return
        reader = conn.makefile("rb")
        try:
            with contextlib.suppress(OSError):  # the client went away mid-answer (it cut off one over its limit)
                self._answer_each(conn, reader)
        finally:
            reader.close()
            conn.close()
            self.closed.release()

    def _answer_each(self, conn: socket.socket, reader) -> None:
        while True:
                line = reader.readline()
                if not line:
                    return
                method, target, _ = line.decode().split(" ", 2)
                headers = {}
                while (header := reader.readline()) not in (b"\r\n", b""):
                    name, value = header.decode().split(":", 1)
                    headers[name.strip().lower()] = value.strip()
                body = reader.read(int(headers.get("content-length", 0)))
                request = {"method": method, "target": target, "headers": headers, "body": body}
                self.requests.append(request)
                out = self.answer(request)
                if out is None:
                    return
                conn.sendall(out)
                if self.close_after:
                    return

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.sock.close()


def answer(body: bytes, status: str = "200 OK", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Content-Type: application/json",
             *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
def serve():
    servers = []

    def start(reply, **kwargs) -> RawServer:
        servers.append(RawServer(reply, **kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_the_request_carries_what_requests_would_send(serve):
    server = serve(lambda request: answer(b'{"id": 7}'))
    with new_session() as session:
        sent = send(session, "POST", server.url + "/api/articles?x=1", timeout=5, json={"title": "通知"},
                    headers={"Idempotency-Key": "k-1"})
        by_requests = requests.Session()
        by_requests.headers = session.headers
        by_requests.post(server.url + "/api/articles?x=1", json={"title": "通知"}, headers={"Idempotency-Key": "k-1"},
                         timeout=5)
    assert sent.status_code == 200 and sent.json() == {"id": 7}
    ours, theirs = server.requests
    assert ours["method"] == theirs["method"] == "POST" and ours["target"] == theirs["target"] == "/api/articles?x=1"
    assert ours["body"] == theirs["body"]
    assert ours["headers"] == theirs["headers"]


def test_one_connection_carries_a_threads_requests_one_after_another(serve):
    server = serve(lambda request: answer(b"{}"))
    with new_session() as session:
        for _ in range(5):
            assert send(session, "POST", server.url + "/a", timeout=5, json={}).status_code == 200
    assert server.connections == 1 and len(server.requests) == 5


def test_a_plain_request_goes_over_http_client_not_urllib3s_pool(serve):
    server = serve(lambda request: answer(b"{}"))
    with new_session() as session:
        send(session, "POST", server.url + "/a", timeout=5, json={"x": 1}, headers={"Idempotency-Key": "k"})
        send(session, "GET", server.url + "/b", timeout=5)
        assert not session.get_adapter(server.url).poolmanager.pools  # urllib3 never opened a connection


def test_a_connection_the_server_closed_while_idle_is_not_used_again(serve):
    server = serve(lambda request: answer(b"{}"), close_after=True)
    with new_session() as session:
        for _ in range(3):  # each request is sent once, on a fresh connection: never "dropped after sending"
            assert send(session, "POST", server.url + "/a", timeout=5, json={}).status_code == 200
            assert server.closed.acquire(timeout=5)  # the server has closed it before the next request
    assert len(server.requests) == 3 and server.connections == 3


def test_a_compressed_answer_is_read_decompressed(serve):
    server = serve(lambda request: answer(gzip.compress(b'{"ok": true}'), Content_Encoding="gzip"))
    with new_session() as session:
        assert send(session, "GET", server.url + "/z", timeout=5).json() == {"ok": True}


def test_a_redirect_is_followed_and_a_cookie_is_kept(serve):
    def reply(request):
        if request["target"] == "/old":
            return answer(b"", "302 Found", Location="/new", Set_Cookie="sid=abc; Path=/")
        return answer(b'{"cookie": "%s"}' % request["headers"].get("cookie", "").encode())

    server = serve(reply)
    with new_session() as session:
        response = send(session, "GET", server.url + "/old", timeout=5)
        assert response.json() == {"cookie": "sid=abc"} and response.history[0].status_code == 302
        assert session.cookies.get("sid") == "abc"


def test_a_connection_dropped_after_the_request_left_leaves_the_outcome_unknown(serve):
    server = serve(lambda request: None)
    scope = RequestScope(utc_now)
    with new_session() as session, request_scope(scope), pytest.raises(OutcomeUnknown, match="dropped after sending"):
        send(session, "POST", server.url + "/a", timeout=5, json={})
    assert scope.sent == 1 and len(server.requests) == 1


def test_a_refused_connection_is_retryable_and_counts_as_not_sent():
    with socket.socket() as bound:  # a port nothing listens on
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}"
        scope = RequestScope(utc_now)
        with new_session() as session, request_scope(scope), pytest.raises(RetryableError, match="cannot connect"):
            send(session, "POST", url + "/a", timeout=5, json={})
    assert scope.sent == 0


def test_after_an_answer_cut_off_at_the_limit_the_next_request_gets_its_own_answer(serve):
    server = serve(lambda request: answer(b'{"d": "%s"}' % (b"y" * 100_000) if request["target"] == "/big"
                                          else b'{"small": 1}'))
    scope = RequestScope(utc_now,
                         answer_limit=10_000)
    with new_session() as session, request_scope(scope):
        with pytest.raises(AnswerTooLarge):
            send(session, "GET", server.url + "/big", timeout=5)
        assert send(session, "GET", server.url + "/small", timeout=5).json() == {"small": 1}


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1 (an intranet portal with the office's own CA) and its key."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return cert, context


def test_https_with_the_offices_own_ca_is_verified_against_it(serve, certificate):
    cert, context = certificate
    server = serve(lambda request: answer(b'{"ok": true}'), tls=context)
    with new_session() as session:
        session.verify = str(cert)
        for _ in range(2):
            assert send(session, "POST", server.url + "/a", timeout=5, json={}).json() == {"ok": True}
        assert not session.get_adapter(server.url).poolmanager.pools
    assert server.connections == 1


def test_https_with_a_certificate_nobody_vouches_for_is_refused_before_sending(serve, certificate):
    _cert, context = certificate
    server = serve(lambda request: answer(b"{}"), tls=context)
    scope = RequestScope(utc_now)
    with new_session() as session, request_scope(scope), pytest.raises(RetryableError, match="cannot connect"):
        send(session, "POST", server.url + "/a", timeout=5, json={})
    assert scope.sent == 0 and server.requests == []


def test_https_without_verification_when_the_channel_says_so(serve, certificate):
    _cert, context = certificate
    server = serve(lambda request: answer(b'{"ok": true}'), tls=context)
    with new_session() as session:
        session.verify = False  # channels.<name>.verify_tls: false
        assert send(session, "POST", server.url + "/a", timeout=5, json={}).json() == {"ok": True}


def test_a_ca_file_that_cannot_be_read_is_retryable_and_nothing_is_sent(serve, certificate, tmp_path):
    _cert, context = certificate
    server = serve(lambda request: answer(b"{}"), tls=context)
    scope = RequestScope(utc_now)
    with new_session() as session, request_scope(scope), pytest.raises(RetryableError, match="cannot connect"):
        session.verify = str(tmp_path / "missing-ca.pem")
        send(session, "POST", server.url + "/a", timeout=5, json={})
    assert scope.sent == 0 and server.requests == []
