"""``publisher links``: a broken link or image on the portal is reported with its item and channel, a redirect to a
live page is not broken, a link outside the allow-list is external, private addresses are skipped unless allowed."""

from __future__ import annotations

import json
import socket

import yaml

from conftest import cms_block, run_cli, write_config


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _queue(config, title: str, body: str) -> int:
    queued = run_cli(config, "queue", "add", "--title", title, "--category", "公示公告", "--body", body, "--json")
    assert queued.exit_code == 0, queued.output
    return json.loads(queued.stdout)["id"]


def _site(tmp_path, db_url, cms_server, **links):
    config = write_config(tmp_path, db_url, {"website": cms_block(cms_server)},
                          links={"allow_private": True, "timeout": 3, **links})
    live = _queue(config, "在用的通知", "<p>正文</p>")
    assert run_cli(config, "run", "--once").exit_code == 0
    live_id = cms_server.emulator.live_articles()[0]["id"]
    dead_port = _closed_port()
    items = {
        "redirect": _queue(config, "转到在用页面", f'<p><a href="/go/{live_id}">上一期通知</a></p>'),
        "missing": _queue(config, "链接已失效", '<p><a href="/articles/no-such-page.html">旧通知</a></p>'),
        "image": _queue(config, "图片已失效", f'<p><img src="http://127.0.0.1:{dead_port}/logo.png" alt="标志"></p>'),
        "moved_away": _queue(config, "转到失效页面", '<p><a href="/go/no-such-page">旧文件</a></p>'),
        "outside": _queue(config, "外部链接", f'<p><a href="http://127.0.0.2:{dead_port}/">外站</a></p>'),
    }
    assert run_cli(config, "run", "--once").exit_code == 0
    return config, live, items


def test_a_broken_link_on_the_portal_is_reported_with_its_item(tmp_path, db_url, cms_server):
    config, live, items = _site(tmp_path, db_url, cms_server)
    checked = run_cli(config, "links", "--json")
    assert checked.exit_code == 1, checked.output
    report = json.loads(checked.stdout)
    broken = {(b["item_id"], b["kind"]): b for b in report["broken"]}
    assert set(broken) == {(items["missing"], "link"), (items["image"], "image"), (items["moved_away"], "link"),
                           (items["outside"], "link")}
    assert broken[(items["missing"], "link")]["problem"] == "HTTP 404"
    assert broken[(items["missing"], "link")]["channel"] == "website"
    assert broken[(items["missing"], "link")]["url"].startswith(cms_server.url + "/articles/")
    assert broken[(items["moved_away"], "link")]["redirected_to"].endswith("/articles/no-such-page.html")
    assert [r["item_id"] for r in report["redirected"]] == [items["redirect"]]
    assert [e["item_id"] for e in report["external"]] == [items["outside"]]

    text = run_cli(config, "links", env={"PUBLISHER_LANG": "zh_CN"})
    assert "链接已失效" in text.output and "HTTP 404" in text.output


def test_links_of_another_year_are_not_checked_and_the_summary_reaches_the_dashboard(tmp_path, db_url, cms_server):
    config, _, _ = _site(tmp_path, db_url, cms_server)
    other_year = run_cli(config, "links", "--year", "2001", "--json")
    assert other_year.exit_code == 0 and json.loads(other_year.stdout)["links"] == 0
    run_cli(config, "links")
    from publisher.inspection.links import last_summary
    from publisher.runtime.app import App

    app = App.load(config)
    try:
        summary = last_summary(app, app.config.office.code)
    finally:
        app.close()
    assert summary["broken_count"] == 4 and summary["external_count"] == 1


def test_private_addresses_are_skipped_unless_allowed(tmp_path, db_url, cms_server):
    config, _, _ = _site(tmp_path, db_url, cms_server)
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    doc["links"]["allow_private"] = False
    config.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    checked = run_cli(config, "links", "--json")
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert report["broken"] == [] and report["skipped"] == report["links"] > 0
