"""Correction tasks are visible in the 工作台 and on the inspection page, listed and dismissed through the API with
the same rules as the CLI (an approver dismisses, with a reason; another office sees none), over real HTTP."""

from __future__ import annotations

import json

import requests

from conftest import cms_block, run_cli, write_config
from console_helpers import add_staff, cheap_hashing, csrf_of, login, serving

TERM = "县建设局"


def _published_with_a_correction(tmp_path, db_url, cms_server):
    terms = tmp_path / "terms.yaml"
    terms.write_text("terms: []\n", encoding="utf-8")
    config = write_config(tmp_path, db_url, {"website": cms_block(cms_server)}, gate={"terms_file": str(terms)},
                          links={"allow_private": True, "timeout": 3})
    body = f'<p>请到{TERM}办理。</p><p><a href="/articles/gone.html">旧通知</a></p>'
    queued = run_cli(config, "queue", "add", "--title", "办事指南", "--category", "公示公告", "--body", body, "--json")
    item = json.loads(queued.stdout)["id"]
    assert run_cli(config, "run", "--once").exit_code == 0
    terms.write_text(f"terms:\n  - {{word: {TERM}, right: 县住房和城乡建设局, category: 机构名称}}\n", encoding="utf-8")
    assert run_cli(config, "check", "--published").exit_code == 1
    assert run_cli(config, "links").exit_code == 1
    return config, item


def test_corrections_show_in_the_dashboard_and_go_through_the_api(tmp_path, db_url, cms_server, monkeypatch):
    from publisher.accounts.users import new_token
    from publisher.runtime.app import App
    from publisher.web import create_app

    cheap_hashing(monkeypatch)
    config, item = _published_with_a_correction(tmp_path, db_url, cms_server)
    app = App.load(config)
    try:
        add_staff(app)
        tokens = {name: new_token(app.store, name, actor="test") for name in ("editor1", "appr1", "other")}
        with serving(create_app(app)) as base:
            def get(name, path):
                return requests.get(base + path, headers={"Authorization": f"Bearer {tokens[name]}"}, timeout=30)

            listed = get("appr1", "/api/corrections")
            assert listed.status_code == 200, listed.text
            task = listed.json()[0]
            assert (task["item_id"], task["kind"], task["suggestion"]) == (item, "term", "县住房和城乡建设局")
            assert get("other", "/api/corrections").json() == []
            links = get("appr1", "/api/links").json()
            assert links["broken_count"] == 1 and links["broken"][0]["item_id"] == item

            console = requests.Session()
            console.get(base + "/login")
            assert login(_Client(console, base), "appr1").status_code == 303
            dashboard = console.get(base + "/", timeout=30).text
            assert "迎检" in dashboard and "办事指南" in dashboard and "县住房和城乡建设局" in dashboard
            assert "失效 1" in dashboard
            assert "复查发现" in console.get(base + f"/items/{item}", timeout=30).text

            def dismiss(name, reason):
                return requests.post(base + f"/api/corrections/{task['id']}/dismiss", json={"reason": reason},
                                     headers={"Authorization": f"Bearer {tokens[name]}"}, timeout=30)

            assert dismiss("editor1", "不需要").status_code == 403
            assert dismiss("appr1", "").status_code == 422
            done = dismiss("appr1", "引用上级文件原文")
            assert done.status_code == 200 and done.json()["status"] == "dismissed"
            assert get("appr1", "/api/corrections").json() == []
            page = console.get(base + "/inspection?status=dismissed", timeout=30).text
            assert "引用上级文件原文" in page and "已忽略" in page
            assert csrf_of(_Client(console, base), "/inspection")
    finally:
        app.close()


class _Client:
    """requests.Session with a base URL, as the login helpers expect of a test client."""

    def __init__(self, session, base):
        self.session, self.base = session, base

    def get(self, path, **kw):
        return self.session.get(self.base + path, timeout=30, **kw)

    def post(self, path, follow_redirects=True, **kw):
        return self.session.post(self.base + path, allow_redirects=follow_redirects, timeout=30, **kw)
