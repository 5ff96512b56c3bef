"""The JSON API over real HTTP (uvicorn on a loopback port): tokens, errors, office scoping, the review rules,
and a bounded schemathesis run against its own OpenAPI document."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from console_helpers import add_staff, cheap_hashing, serving

CASES = {"count": 0}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A console on a free loopback port over a fresh SQLite database; yields (base URL, app, tokens)."""
    from publisher.runtime.app import App
    from publisher.config.load import load_config
    from publisher.accounts.users import new_token
    from publisher.web import create_app

    from conftest import write_config

    mp = pytest.MonkeyPatch()
    cheap_hashing(mp)
    tmp = tmp_path_factory.mktemp("api")
    channels = {
        "website": {"type": "cms", "display_name": "测试网站平台", "base_url": "http://127.0.0.1:9", "auth_token": "t"},
        "wechat": {"type": "wechat", "display_name": "微信公众号", "api_base": "http://127.0.0.1:9", "appid": "wx1",
                   "secret": "s", "cover_color": "#1f4e8c"},
        "feed": {"type": "rss", "output": str(tmp / "feed.xml"), "site_url": "http://127.0.0.1:9",
                 "count_in_report": False},
    }
    app = App.from_config(load_config(write_config(tmp, f"sqlite:///{tmp / 'p.db'}", channels,
                                                   routing={"default": ["website", "feed"]},
                                                   review={"enabled": True})))
    add_staff(app)
    tokens = {name: new_token(app.store, name, actor="test") for name in
              ("editor1", "rev1", "rev2", "appr1", "admin1", "other")}
    with serving(create_app(app)) as base:
        yield base, app, tokens
    app.close()
    mp.undo()


def api(live, name: str):
    base, _, tokens = live
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {tokens[name]}"

    def call(method: str, path: str, **kw):
        return s.request(method, base + path, timeout=30, **kw)
    return call


def test_no_token_is_401_with_the_error_shape(live):
    base, _, _ = live
    r = requests.get(base + "/api/items", timeout=10)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert set(r.json()["error"]) == {"code", "message", "field"} and r.json()["error"]["code"] == "unauthenticated"
    r = requests.get(base + "/api/items", headers={"Authorization": "Bearer pub_not-a-token"}, timeout=10)
    assert r.status_code == 401


def test_bad_input_is_422_naming_the_field(live):
    editor = api(live, "editor1")
    r = editor("POST", "/api/items", json={"title": "缺类别"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "category"
    r = editor("POST", "/api/items", json={"title": "未知类别", "category": "不存在的类别"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "category"
    r = editor("GET", "/api/items?status=nonsense")
    assert r.status_code == 422 and r.json()["error"]["field"] == "status"


def test_four_users_take_an_item_through_review_with_the_rules_of_the_cli(live):
    editor, rev1, rev2, appr1 = (api(live, n) for n in ("editor1", "rev1", "rev2", "appr1"))
    r = editor("POST", "/api/items", json={"title": "关于2019年住房保障资格审核结果的公示", "category": "公示公告",
                                           "body": "<p>公示内容。</p>", "at": "2030-01-01T09:00"})
    assert r.status_code == 201 and r.json()["review"]["state"] == "draft"
    item = r.json()["id"]
    assert rev1("POST", f"/api/items/{item}/submit").status_code == 403  # a reviewer does not submit
    assert editor("POST", f"/api/items/{item}/submit").json()["state"] == "in_review"
    again = editor("POST", f"/api/items/{item}/submit")
    assert again.status_code == 409 and again.json()["error"]["code"] == "state"
    assert editor("POST", f"/api/items/{item}/approve", json={}).json()["error"]["code"] == "role"
    assert rev1("POST", f"/api/items/{item}/approve", json={"comment": "同意"}).json()["step"]["name"] == "复审"
    twice = rev1("POST", f"/api/items/{item}/approve", json={})
    assert twice.status_code == 403 and twice.json()["error"]["code"] == "two_steps"
    assert rev2("POST", f"/api/items/{item}/approve", json={}).json()["step"]["name"] == "终审"
    assert appr1("POST", f"/api/items/{item}/approve", json={}).json()["state"] == "approved"
    shown = editor("GET", f"/api/items/{item}").json()
    assert shown["review"]["state"] == "approved" and {d["channel"] for d in shown["deliveries"]} == {"website", "feed"}
    r = editor("PATCH", f"/api/items/{item}", json={"title": "关于2019年住房保障资格审核结果的公示（更正）"})
    assert r.status_code == 200 and r.json()["state"] == "in_review" and r.json()["step"]["name"] == "初审"
    diff = rev1("GET", f"/api/items/{item}/review").json()["diff"]
    assert any("更正" in line["text"] for line in diff["lines"] if line["kind"] == "add")
    assert rev1("POST", f"/api/items/{item}/reject", json={"comment": ""}).json()["error"]["field"] == "comment"
    assert rev1("POST", f"/api/items/{item}/reject", json={"comment": "再核对名单"}).json()["state"] == "rejected"
    assert any(e["id"] == item for e in editor("GET", "/api/review").json())
    kinds = [e["kind"] for e in editor("GET", f"/api/audit?item={item}").json()]
    assert {"queued", "review_submitted", "review_approved", "edited", "review_rejected"} <= set(kinds)


def test_another_offices_items_are_404_and_absent_from_listings(live):
    editor, other = api(live, "editor1"), api(live, "other")
    item = editor("POST", "/api/items", json={"title": "本单位的信息", "category": "其他"}).json()["id"]
    for method, path in (("GET", f"/api/items/{item}"), ("POST", f"/api/items/{item}/submit"),
                         ("PATCH", f"/api/items/{item}"), ("GET", f"/api/audit?item={item}")):
        r = other(method, path, **({"json": {"title": "x"}} if method == "PATCH" else {}))
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"
    assert all(i["id"] != item for i in other("GET", "/api/items?per_page=500").json()["items"])


def test_listing_has_a_total_and_pages(live):
    editor = api(live, "editor1")
    for n in range(3):
        editor("POST", "/api/items", json={"title": f"分页测试{n}", "category": "其他"})
    r = editor("GET", "/api/items?q=分页测试&per_page=2").json()
    assert r["total"] == 3 and r["pages"] == 2 and len(r["items"]) == 2
    assert len(editor("GET", "/api/items?q=分页测试&per_page=2&page=2").json()["items"]) == 1


def test_tally_report_and_health(live):
    base, _, _ = live
    editor = api(live, "editor1")
    editor("POST", "/api/items", json={"title": "指标测试", "category": "其他"})  # a pending website delivery
    t = editor("GET", "/api/tally?year=2019").json()
    assert t["year"] == 2019 and "monthly" in t
    r = editor("GET", "/api/reports/2019?format=docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert requests.get(base + "/healthz", timeout=10).json()["database"] == "ok"
    metrics = requests.get(base + "/metrics", timeout=10).text
    assert 'publisher_deliveries{channel="website",status="pending"}' in metrics
    assert "publisher_channel_paused" in metrics and "publisher_due_backlog" in metrics


def test_api_never_answers_500_to_schemathesis(live):
    """A bounded run: every operation of /api/openapi.json, 25 generated cases each, none answered with a 5xx and
    every answer matching the document (response schema, status code, content type)."""
    from hypothesis import given
    from schemathesis.checks import content_type_conformance, response_schema_conformance, status_code_conformance

    base, _, tokens = live
    schema = schemathesis.openapi.from_url(base + "/api/openapi.json")
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def run(case):
            CASES["count"] += 1
            response = case.call(headers={"Authorization": f"Bearer {tokens['admin1']}"}, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")
            try:  # the answer is what the OpenAPI document says: status, content type and the body's schema
                case.validate_response(response, checks=[response_schema_conformance, status_code_conformance,
                                                         content_type_conformance])
            except Exception as exc:  # noqa: BLE001 — schemathesis raises a group of failures
                failures.append(f"{case.method} {case.formatted_path}: {str(exc).strip()[:300]}")
        run()
    print(f"\nschemathesis: {CASES['count']} cases over {len(list(schema.get_all_operations()))} operations")
    assert not failures, failures[:5]


def test_an_id_number_blocks_the_final_approval_until_an_approver_overrides_it(live):
    editor, rev1, rev2, appr1 = (api(live, n) for n in ("editor1", "rev1", "rev2", "appr1"))
    r = editor("POST", "/api/items", json={"title": "住房保障资格审核结果公示", "category": "公示公告",
                                           "body": "<p>申请人张某某，身份证号11010519491231002X。</p>"})
    item = r.json()["id"]
    assert [f["kind"] for f in r.json()["findings"]] == ["id_number"]
    editor("POST", f"/api/items/{item}/submit")
    rev1("POST", f"/api/items/{item}/approve", json={})
    rev2("POST", f"/api/items/{item}/approve", json={})
    held = appr1("POST", f"/api/items/{item}/approve", json={})
    assert held.status_code == 403 and held.json()["error"]["code"] == "gate"
    done = appr1("POST", f"/api/items/{item}/approve", json={"override": "经核实为公开的法人代表信息"})
    assert done.status_code == 200 and done.json()["state"] == "approved"
    assert done.json()["history"][-1]["override"] == "经核实为公开的法人代表信息"


def test_publisher_serve_answers_on_its_port(live, tmp_path):
    import subprocess
    import sys
    import time

    from console_helpers import free_port

    _, app, _ = live
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "publisher", "--config", str(app.config.path), "serve",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert r.json()["database"] == "ok"
        assert requests.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=5).json()["info"]["title"]
        login_page = requests.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert "登录" in login_page.text and "server" not in {k.lower() for k in login_page.headers}
    finally:
        proc.terminate()
        proc.wait(10)


def test_healthz_sees_a_running_daemon_by_its_heartbeat(live):
    from publisher.series.runner import SeriesRunner

    base, app, _ = live
    before = requests.get(base + "/healthz", timeout=10).json()
    assert before["daemon"] in ("none seen", "stale", "alive")
    SeriesRunner(app).tick()  # what every daemon does each poll: beat
    health = requests.get(base + "/healthz", timeout=10).json()
    assert health["daemon"] == "alive" and health["daemons_alive"] >= 1


def test_the_api_serves_the_frozen_report_like_the_cli(live):
    from publisher.report.build import build_report
    from publisher.report.freeze import freeze

    _, app, _ = live
    filed = build_report(app.store, app.config, 2017)
    filed["title"] += "（报送稿）"  # what was filed, as the freeze keeps it
    freeze(app.store, filed, "appr1")
    r = api(live, "editor1")("GET", "/api/reports/2017?format=md")
    assert r.status_code == 200 and "（报送稿）" in r.text
