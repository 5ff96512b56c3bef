"""无障碍 at queue time: an image without alt text, a table without header cells, colour as the only marker, a
scanned 通知 as an image and headings out of order are findings of kind ``accessibility``, with their place —
warnings by default, held at 终审 when the office says ``gate.accessibility: block``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import cms_block, run_cli, write_config
from publisher.cli.main import main
from publisher.gate.accessibility import check_accessibility

STAFF = [("ed", "editor"), ("rev1", "reviewer"), ("rev2", "reviewer"), ("boss", "approver")]


def test_an_image_without_alt_text_is_a_finding_at_queue_time(tmp_path):
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", {
        "feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"}})
    queued = run_cli(config, "queue", "add", "--title", "公示", "--category", "公示公告", "--json",
                     "--body", '<p>现场照片：</p><p><img src="http://www.example.gov.cn/p/site.jpg"></p>')
    assert queued.exit_code == 0, queued.output
    item = json.loads(queued.stdout)["id"]
    checked = run_cli(config, "check", str(item), "--json", env={"PUBLISHER_LANG": "en"})
    assert checked.exit_code == 1, checked.output
    found = json.loads(checked.stdout)["findings"]
    assert [(f["kind"], f["field"], f["where"], f["text"]) for f in found] == [
        ("accessibility", "body", "image 1", "site.jpg")]
    shown = run_cli(config, "check", str(item), env={"PUBLISHER_LANG": "zh_CN"})
    assert "无障碍" in shown.output and "图片 1" in shown.output and "替代文字" in shown.output


@pytest.mark.parametrize("body, where", [
    ("<table><tr><td>姓名</td><td>分数</td></tr><tr><td>张三</td><td>90</td></tr></table>", "table 1"),
    ('<p>以下人员<span style="color:red">不符合条件</span>。</p>', "coloured text 1"),
    ('<p><img src="/files/scan.png" alt="关于停水的通知"></p>', "image 1"),
    ("<h1>通知</h1><h3>一、时间</h3>", "heading 2"),
])
def test_each_accessibility_problem_is_named_with_its_place(body, where):
    found = check_accessibility(body)
    assert [f.where for f in found] == [where] and all(f.kind == "accessibility" for f in found)


def test_marked_colour_headers_and_ordered_headings_are_fine():
    body = ('<h1>公示</h1><h2>名单</h2><table><tr><th>姓名</th></tr><tr><td>张三</td></tr></table>'
            '<p><strong style="color:red">不符合条件</strong></p><p><img src="a.jpg" alt="现场照片"></p>')
    assert check_accessibility(body) == []


def _office(tmp_path, db_url, server, mode: str | None):
    gate = {"accessibility": mode} if mode else {}
    config = write_config(tmp_path, db_url, {"website": cms_block(server)}, review={"enabled": True}, gate=gate)

    def cli(*args):
        result = CliRunner().invoke(main, ["--config", str(config), *args],
                                    env={"PUBLISHER_CONFIG": None, "PUBLISHER_USER": None, "PUBLISHER_LANG": "zh_CN"})
        assert "Traceback" not in result.output
        return result

    assert cli("user", "add", "adm", "--role", "admin").exit_code == 0
    for name, role in STAFF:
        assert cli("--as", "adm", "user", "add", name, "--role", role).exit_code == 0
    queued = cli("--as", "ed", "queue", "add", "--title", "公示", "--category", "公示公告", "--json",
                 "--body", '<p><img src="http://www.example.gov.cn/a.jpg"></p>')
    item = str(json.loads(queued.stdout)["id"])
    assert cli("--as", "ed", "review", "submit", item).exit_code == 0
    for reviewer in ("rev1", "rev2"):
        assert cli("--as", reviewer, "review", "approve", item).exit_code == 0
    return cli, item


def test_accessibility_findings_warn_by_default(tmp_path, db_url, cms_server):
    cli, item = _office(tmp_path, db_url, cms_server, None)
    approved = cli("--as", "boss", "review", "approve", item)
    assert approved.exit_code == 0, approved.output


def test_an_office_can_make_accessibility_findings_block(tmp_path, db_url, cms_server):
    cli, item = _office(tmp_path, db_url, cms_server, "block")
    held = cli("--as", "boss", "review", "approve", item)
    assert held.exit_code == 3 and "无障碍" in held.output, held.output
