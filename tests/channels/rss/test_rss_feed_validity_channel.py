"""The feed files pass what validators check: authors, absolute URLs, distinct updated, stable build date, enclosures.

The W3C Feed Validation Service's own code is used when it is present locally: put its ``src`` folder
(https://github.com/w3c/feedvalidator) on ``PUBLISHER_FEEDVALIDATOR`` (needs lxml, html5lib, rdflib);
that test is skipped otherwise.
"""

from __future__ import annotations

import hashlib
import os
import sys
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from publisher.adapter import Attachment, DeliveryContext, ItemView

from test_rss_channel import make_channel

ATOM = "{http://www.w3.org/2005/Atom}"


def item(n: int, clock, **kwargs) -> ItemView:
    fields = dict(id=n, uid=f"u{n:03d}", title=f"第{n}号公告", category="公示公告", publish_at=clock.now(),
                  body_html=f'<p>详见<a href="/zjj/files/{n}.html">通知</a><img src="img/{n}.png" alt=""></p>')
    return ItemView(**{**fields, **kwargs})


def ctx(n: int) -> DeliveryContext:
    return DeliveryContext(delivery_id=n, channel="feed", idempotency_key=f"k{n}", attempt=1)


def atom(tmp_path: Path):
    return etree.parse(str(tmp_path / "feed" / "atom.xml")).getroot()


def test_the_atom_feed_names_an_author(services, tmp_path, clock):
    services.office_name = "如东县住房和城乡建设局"
    channel = make_channel(services, tmp_path)
    channel.publish(item(1, clock), ctx(1))
    channel.publish(item(2, clock, author="办公室"), ctx(2))
    root = atom(tmp_path)
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "如东县住房和城乡建设局"
    assert [e.findtext(f"{ATOM}author/{ATOM}name") for e in root.iter(f"{ATOM}entry")] == ["办公室", None]


def test_relative_urls_in_content_become_absolute(services, tmp_path, clock):
    channel = make_channel(services, tmp_path)
    channel.publish(item(1, clock), ctx(1))
    [entry] = feedparser.parse((tmp_path / "feed" / "rss.xml").read_bytes()).entries
    content = entry.content[0].value
    assert 'href="https://www.rudong.gov.cn/zjj/files/1.html"' in content
    assert 'src="https://www.rudong.gov.cn/zjj/items/img/1.png"' in content


def test_items_queued_in_one_second_get_distinct_increasing_updated(services, tmp_path, clock):
    channel = make_channel(services, tmp_path)
    for n in range(1, 6):
        channel.publish(item(n, clock), ctx(n))
    root = atom(tmp_path)
    updated = {e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}updated") for e in root.iter(f"{ATOM}entry")}
    values = [updated[f"urn:publisher:item:u{n:03d}"] for n in range(1, 6)]
    parsed = [datetime.fromisoformat(v) for v in values]
    assert len(set(parsed)) == 5 and parsed == sorted(parsed)


def test_the_build_date_never_goes_back_after_a_retraction(services, tmp_path, clock):
    channel = make_channel(services, tmp_path)
    channel.publish(item(1, clock), ctx(1))
    clock.advance(timedelta(hours=1))
    newest = item(2, clock)
    channel.publish(newest, ctx(2))
    built = parsedate_to_datetime(feedparser.parse((tmp_path / "feed" / "rss.xml").read_bytes()).feed.updated)
    channel.retract(newest, DeliveryContext(delivery_id=2, channel="feed", idempotency_key="k2", attempt=1,
                                            external_id=newest.uid))
    after = parsedate_to_datetime(feedparser.parse((tmp_path / "feed" / "rss.xml").read_bytes()).feed.updated)
    assert after >= built
    channel.rebuild()
    assert parsedate_to_datetime(feedparser.parse((tmp_path / "feed" / "rss.xml").read_bytes()).feed.updated) == after


def _attachment(tmp_path: Path, name: str, data: bytes, mime: str) -> Attachment:
    sha = hashlib.sha256(data).hexdigest()
    path = tmp_path / sha
    path.write_bytes(data)
    return Attachment(path, name, mime, sha, len(data))


def test_attachments_are_enclosures_copied_where_the_web_server_serves_them(services, tmp_path, clock):
    files = tmp_path / "site" / "files"
    channel = make_channel(services, tmp_path, attachments_output=files)
    doc = _attachment(tmp_path, "年度报告.pdf", b"%PDF-1.4 fake", "application/pdf")
    channel.publish(item(1, clock, attachments=(doc,)), ctx(1))
    assert (files / doc.sha256[:16] / "年度报告.pdf").read_bytes() == b"%PDF-1.4 fake"
    [rss_entry] = feedparser.parse((tmp_path / "feed" / "rss.xml").read_bytes()).entries
    [enclosure] = rss_entry.enclosures
    assert enclosure.href.startswith("https://www.rudong.gov.cn/zjj/files/") and enclosure.type == "application/pdf"
    [atom_entry] = atom(tmp_path).iter(f"{ATOM}entry")
    links = [link.get("rel") for link in atom_entry.iter(f"{ATOM}link")]
    assert "enclosure" in links and "年度报告.pdf" in rss_entry.content[0].value


def test_without_a_files_folder_attachments_point_to_the_entry_page(services, tmp_path, clock):
    channel = make_channel(services, tmp_path)
    doc = _attachment(tmp_path, "名单.xlsx", b"PK fake", "application/vnd.ms-excel")
    channel.publish(item(1, clock, attachments=(doc,)), ctx(1))
    [entry] = feedparser.parse((tmp_path / "feed" / "rss.xml").read_bytes()).entries
    assert "名单.xlsx" in entry.content[0].value and entry.link in entry.content[0].value


def _feedvalidator():
    path = os.environ.get("PUBLISHER_FEEDVALIDATOR")
    if path and path not in sys.path:
        sys.path.insert(0, path)
    try:
        import feedvalidator
        from feedvalidator import compatibility
        from feedvalidator.formatter.text_plain import Formatter
    except ImportError:
        pytest.skip("the W3C feed validator is not present (set PUBLISHER_FEEDVALIDATOR to its src folder)")
    return feedvalidator, compatibility, Formatter


def test_both_feeds_pass_the_w3c_feed_validator(services, tmp_path, clock):
    feedvalidator, compatibility, Formatter = _feedvalidator()
    services.office_name = "如东县住房和城乡建设局"
    channel = make_channel(services, tmp_path, attachments_output=tmp_path / "site" / "files")
    doc = _attachment(tmp_path, "report.pdf", b"%PDF-1.4 fake", "application/pdf")
    for n in range(1, 4):
        channel.publish(item(n, clock, attachments=(doc,) if n == 2 else (),
                             body_html=f'<p>正文\x0b{n}<a href="/a/{n}.html">链接</a></p>'), ctx(n))
    channel.retract(item(3, clock), DeliveryContext(delivery_id=3, channel="feed", idempotency_key="k3", attempt=1))
    for name in ("atom.xml", "rss.xml"):
        data = (tmp_path / "feed" / name).read_bytes()
        try:
            events = feedvalidator.validateString(data, firstOccurrenceOnly=1,
                                                  base=f"https://www.rudong.gov.cn/zjj/{name}")["loggedEvents"]
        except feedvalidator.logging.ValidationFailure as failure:
            events = [failure.event]
        assert Formatter(compatibility.AA(events)) == [], name
