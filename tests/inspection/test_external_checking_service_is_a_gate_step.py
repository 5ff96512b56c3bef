"""An office's external checking service is one more gate step: the text is POSTed to it, its findings are
findings of kind ``external`` and its verdict is in the audit chain; a service that fails or is slow is a named
finding, never a silent pass. Against the sandbox's checking-service emulator."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, write_config
from publisher.sandbox.checker import CheckerEmulator
from publisher.sandbox.server import EmulatorServer


@pytest.fixture
def checker():
    with EmulatorServer(CheckerEmulator()) as running:
        yield running


def _config(tmp_path, url: str, timeout: float = 3):
    return write_config(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", {
        "feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"}},
        gate={"external": {"url": url, "name": "监测服务", "timeout": timeout}})


def _queue(config, body: str) -> tuple[int, list[dict]]:
    queued = run_cli(config, "queue", "add", "--title", "学习动态", "--category", "公示公告", "--body", body, "--json")
    assert queued.exit_code == 0, queued.output
    item = json.loads(queued.stdout)["id"]
    checked = run_cli(config, "check", str(item), "--json", env={"PUBLISHER_LANG": "en"})
    return item, json.loads(checked.stdout)


def test_the_services_findings_are_gate_findings_and_its_verdict_is_recorded(tmp_path, checker):
    config = _config(tmp_path, checker.url + "/check")
    item, checked = _queue(config, "<p>开展两学一作学习教育。</p>")
    assert [(f["kind"], f["field"], f["where"], f["text"], f["suggestion"]) for f in checked["findings"]] == [
        ("external", "body", "line 1", "两学一作", "两学一做")]
    assert checked["external"]["verdict"] == "fail" and checked["external"]["service"] == "监测服务"
    events = json.loads(run_cli(config, "audit", "--item", str(item), "--json").stdout)
    verdicts = [e for e in events if e["kind"] == "external_check"]
    assert verdicts and verdicts[-1]["detail"]["verdict"] == "fail"
    assert checker.emulator.calls >= 2  # at queue time and at `check`


def test_a_clean_text_passes(tmp_path, checker):
    config = _config(tmp_path, checker.url + "/check")
    _, checked = _queue(config, "<p>开展学习教育。</p>")
    assert checked["findings"] == [] and checked["external"]["verdict"] == "pass"


@pytest.mark.parametrize("fault, reason", [({"kind": "status", "status": 503, "times": 10}, "HTTP 503"),
                                           ({"kind": "slow", "seconds": 3, "times": 10}, "no answer within")])
def test_a_failing_service_is_a_named_finding_not_a_pass(tmp_path, checker, fault, reason):
    checker.emulator.faults.add(**fault)
    config = _config(tmp_path, checker.url + "/check", timeout=0.5)
    _, checked = _queue(config, "<p>开展学习教育。</p>")
    assert [f["kind"] for f in checked["findings"]] == ["external"]
    assert reason in checked["findings"][0]["text"] and checked["external"]["verdict"] == "error"


def test_a_service_address_that_is_not_a_web_url_is_a_config_error(tmp_path):
    config = _config(tmp_path, "ftp://checker.example/check")
    result = run_cli(config, "check-config", "--offline")
    assert result.exit_code == 2 and "gate.external.url" in result.output
