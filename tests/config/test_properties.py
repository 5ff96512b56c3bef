"""Property tests (hypothesis): whatever a user feeds the config loader, the import readers, the duration and time
parsers and the sanitiser ends in a result or a named error — never a traceback, never a half-written database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_config
from publisher.config.load import parse_config, load_config
from publisher.foundation.content import sanitize_html
from publisher.foundation.durations import parse_duration
from publisher.errors import ConfigError, InputError
from publisher.items.imports import read_import
from publisher.items.intake import parse_time

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30))
yaml_values = st.recursive(yaml_scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)), max_leaves=20)
CONFIG_KEYS = ["office", "database", "storage", "categories", "channels", "routing", "retry", "daemon", "limits",
               "series", "review", "gate"]


@FAST
@given(doc=st.dictionaries(st.sampled_from(CONFIG_KEYS), yaml_values, max_size=6))
def test_any_config_document_is_accepted_or_refused_by_name(tmp_path, doc):
    try:
        parse_config(doc, path=tmp_path / "config.yaml", env={})
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)


@FAST
@given(text=st.text(max_size=300))
def test_any_config_text_is_accepted_or_refused_by_name(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path, env={})
    except ConfigError as exc:
        assert exc.problems


@FAST
@given(value=st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.from_regex(r"\d{1,14}[dhms]", fullmatch=True),
                       st.from_regex(r"P(\d{1,12}W)?(\d{1,12}D)?(T\d{1,12}H)?", fullmatch=True)))
def test_any_duration_is_a_positive_timedelta_or_a_value_error(value):
    try:
        result = parse_duration(value)
    except ValueError:
        return
    assert isinstance(result, timedelta) and result > timedelta(0)


def _app(zone: str):
    now = datetime(2019, 6, 1, 2, 0, tzinfo=timezone.utc)
    return SimpleNamespace(clock=SimpleNamespace(now=lambda: now), config=SimpleNamespace(tz=ZoneInfo(zone)))


@FAST
@given(text=st.one_of(st.text(max_size=40), st.datetimes().map(lambda d: d.isoformat()),
                      st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M"))),
       zone=st.sampled_from(["Asia/Shanghai", "America/New_York", "Pacific/Kiritimati", "UTC"]))
def test_any_time_is_an_aware_utc_instant_or_an_input_error(text, zone):
    try:
        when = parse_time(text, _app(zone))
    except InputError as exc:
        assert str(exc).startswith("at:")
        return
    assert when.tzinfo is not None and when.utcoffset() == timedelta(0)


html_bits = st.sampled_from(["<p>", "</p>", "<script>alert(1)</script>", '<a href="javascript:alert(1)">x</a>',
                             '<img src=x onerror="alert(1)">', '<div style="background:url(javascript:x)">',
                             "<svg onload=alert(1)>", "&lt;", "文字", "<!--", "-->", '"', "'", "<", ">", "\x0b",
                             '<a href="jav&#x61;script:alert(1)">y</a>', "<iframe src=//evil>", "<style>",
                             '<a href=" JAVASCRIPT:x">', '<img src="vbscript:x">', "JAVASCRIPT:"])
SAFE_SCHEMES = {"", "http", "https", "mailto", "tel", "attachment"}


@FAST
@given(html=st.one_of(st.text(max_size=200), st.lists(html_bits, max_size=20).map("".join)))
def test_the_sanitiser_never_lets_script_through(html):
    from urllib.parse import urlsplit

    from bs4 import BeautifulSoup

    soup = BeautifulSoup(sanitize_html(html), "html.parser")
    assert not soup.find_all(["script", "style", "iframe", "svg", "object", "embed"])
    for tag in soup.find_all(True):
        assert not any(name.lower().startswith("on") for name in tag.attrs), tag
        for name in ("href", "src"):
            if tag.get(name):
                assert urlsplit(tag[name].strip()).scheme.lower() in SAFE_SCHEMES, tag
        assert "javascript:" not in tag.get("style", "").lower()


rows = st.lists(st.dictionaries(st.sampled_from(["title", "category", "at", "channels", "key", "bogus", "options"]),
                                st.one_of(st.text(max_size=20), st.integers(), st.none(), st.just("其他")),
                                max_size=5), min_size=1, max_size=4)


@FAST
@given(data=st.one_of(st.binary(max_size=200), rows.map(lambda r: "\n".join(json.dumps(x) for x in r).encode())),
       suffix=st.sampled_from([".jsonl", ".csv", ".txt", ".xlsx"]))
def test_any_import_file_is_read_or_refused_by_name(tmp_path, data, suffix):
    path = tmp_path / f"items{suffix}"
    path.write_bytes(data)
    try:
        read_import(path)
    except InputError as exc:
        assert str(exc)


@pytest.fixture
def office(tmp_path):
    blocks = {"feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"}}
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'publisher.db'}", blocks)
    from publisher.runtime.app import App

    app = App.load(config)
    yield app
    app.close()


@SLOW
@given(batch=rows)
def test_an_import_queues_every_row_or_none(office, tmp_path, batch):
    from publisher.errors import Refused
    from publisher.items.imports import import_file

    before = len(office.store.list_items(None, 100000))
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in batch), encoding="utf-8")
    try:
        ids = import_file(office, path, again=True)
    except (InputError, Refused):
        ids = []
    after = len(office.store.list_items(None, 100000))
    assert after - before == len(ids) and len(ids) in (0, len([r for r in batch]) - _skipped(batch))


def _skipped(batch) -> int:
    return 0 if all(not r.get("key") for r in batch) else len(batch)  # keys known already are skipped


@FAST
@given(doc=yaml_values)
def test_any_yaml_value_round_trips_through_the_bounded_reader(doc):
    from publisher.foundation import yamlsafe

    text = yaml.safe_dump(doc, allow_unicode=True)
    try:
        loaded = yamlsafe.load(text)
    except yamlsafe.YamlLimitError as exc:  # a bound was reached: a named error that says which
        assert str(exc)
        return
    assert loaded == yaml.safe_load(text) or doc != doc  # NaN is not equal to itself
