"""WeChat never fetches an arbitrary URL for the server: a remote <img> on an unlisted host is refused at queue
time and never requested; a listed host is fetched without following redirects to unlisted or internal addresses
(checked on the resolved address), within a size limit."""

from __future__ import annotations

import pytest

from channels.wechat.content import fetch_image
from publisher.errors import PermanentError
from test_wechat_channel import BODY, Ctx, ImageHost, cover, emulator, image_bytes, make_channel, make_item  # noqa: F401
from publisher.sandbox.server import EmulatorServer


@pytest.fixture
def internal():
    host = ImageHost(image_bytes(color="green"))
    with EmulatorServer(host) as running:
        yield running


def test_an_image_on_an_unlisted_host_is_refused_at_queue_time_and_never_fetched(make_channel, emulator, internal):
    channel = make_channel()
    item = make_item(body=BODY + f'<p><img src="{internal.url}/photo.png"></p>')
    problems = channel.check(item)
    assert any("image_hosts" in p for p in problems), problems
    with pytest.raises(PermanentError):
        channel.publish(item, Ctx())
    assert internal.emulator.hits == 0 and emulator.draft_adds == 0


class _Answer:
    def __init__(self, status: int, location: str | None = None, body: bytes = b""):
        self.status_code, self.headers, self.body = status, ({"location": location} if location else {}), body

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def iter_content(self, size):
        yield from (self.body[i:i + size] for i in range(0, len(self.body), size))


def _fetch(url, answers, addresses, limit=1_000_000):
    asked = []

    def send(session, method, target, **kw):
        asked.append(target)
        assert kw["allow_redirects"] is False
        return answers[target]

    def resolve(host, port):
        return [(2, 1, 6, "", (addresses.get(host, host), port))]

    try:
        return fetch_image(url, hosts=["images.example.gov.cn", "127.0.0.1"], limit=limit, timeout=5, session=None,
                           send=send, resolve=resolve), asked
    except PermanentError as exc:
        return exc, asked


PUBLIC = {"images.example.gov.cn": "202.102.1.10"}


@pytest.mark.parametrize("target, address", [
    ("http://127.0.0.1:8080/secret", None), ("http://169.254.169.254/latest/meta-data/", None),
    ("http://images.example.gov.cn/internal", "10.0.0.5"), ("http://intranet.example.gov.cn/x", "202.102.1.11"),
])
def test_a_redirect_to_an_internal_or_unlisted_address_is_not_followed(target, address):
    start = "https://images.example.gov.cn/a.png"
    addresses = dict(PUBLIC)
    answers = {start: _Answer(302, target), target: _Answer(200, body=b"secret")}
    if address:  # the listed name itself, resolved again for the redirect, now points inside (DNS rebinding)
        addresses = {"images.example.gov.cn": "202.102.1.10", "intranet.example.gov.cn": address}
        if target.startswith("http://images."):
            calls = iter(["202.102.1.10", address])
            addresses = type("Rebinding", (dict,), {"get": lambda self, k, d=None: next(calls)})()
    result, asked = _fetch(start, answers, addresses)
    assert isinstance(result, PermanentError), result
    assert asked == [start]


def test_a_listed_name_that_resolves_inside_is_not_fetched():
    result, asked = _fetch("http://images.example.gov.cn/a.png", {}, {"images.example.gov.cn": "192.168.1.20"})
    assert isinstance(result, PermanentError) and "internal" in str(result) and asked == []


def test_a_listed_public_image_is_fetched_within_its_size_limit():
    url = "http://images.example.gov.cn/a.png"
    data, asked = _fetch(url, {url: _Answer(200, body=b"x" * 100)}, PUBLIC)
    assert data == b"x" * 100
    too_big, _ = _fetch(url, {url: _Answer(200, body=b"x" * 100)}, PUBLIC, limit=50)
    assert isinstance(too_big, PermanentError) and "larger than" in str(too_big)
