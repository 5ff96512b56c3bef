"""A channel's ``timeout`` bounds the whole request, however slowly the answer trickles, and an oversized answer
is cut off with a named error instead of being read into memory."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from publisher.errors import OutcomeUnknown
from publisher.http import AnswerTooLarge, RequestScope, new_session, request_scope, send
from publisher.sandbox.server import Emulator, EmulatorServer, json_response


class Endpoint(Emulator):
    """Answers ``/small`` with a short JSON and ``/big`` with 200 KB."""

    name = "endpoint"

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", "/small", lambda request: json_response({"ok": True, "padding": "x" * 200}))
        self.route("GET", "/big", lambda request: json_response({"data": "y" * 200_000}))


@pytest.fixture
def endpoint():
    with EmulatorServer(Endpoint()) as server:
        yield server


@pytest.mark.parametrize("pace", [0.05, 0.3])  # a trickled body, and a status line slower than the whole timeout
def test_a_trickled_answer_is_cut_off_at_the_timeout_not_held_per_read(endpoint, pace):
    endpoint.emulator.faults.add("trickle", seconds=pace, path="/small")
    started = time.monotonic()
    with new_session() as session, pytest.raises(OutcomeUnknown, match="no complete answer .* within 1s"):
        send(session, "GET", endpoint.url + "/small", timeout=1.0)
    assert time.monotonic() - started < 3.0  # each byte came well within the timeout; the request did not


def test_an_endpoint_that_never_answers_is_cut_off_at_the_timeout(endpoint):
    endpoint.emulator.faults.add("never_answer", path="/small")
    started = time.monotonic()
    with new_session() as session, pytest.raises(OutcomeUnknown):
        send(session, "GET", endpoint.url + "/small", timeout=0.5)
    assert time.monotonic() - started < 2.5


def test_an_answer_over_the_limit_is_cut_off_with_a_named_error(endpoint):
    scope = RequestScope(lambda: datetime.now(timezone.utc), answer_limit=64 * 1024)
    with new_session() as session, request_scope(scope), pytest.raises(AnswerTooLarge, match="max_answer_bytes"):
        send(session, "GET", endpoint.url + "/big", timeout=5)
    with new_session() as session, request_scope(scope):  # a small answer is read whole, as before
        assert send(session, "GET", endpoint.url + "/small", timeout=5).json()["ok"] is True


def test_a_session_keeps_working_after_an_answer_was_read_whole(endpoint):
    with new_session() as session:
        for _ in range(3):
            assert send(session, "GET", endpoint.url + "/small", timeout=5).json()["ok"] is True
