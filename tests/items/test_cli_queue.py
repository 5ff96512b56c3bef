"""Editors' CLI: `queue add`, `queue import`, `queue list`, `item show/retract/retry`, `run --once`.

Run through click's CliRunner on the real entry point (and a subprocess of the installed script), against
SQLite and the CMS emulator on loopback. Every refusal exits 2 and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import cms_block, write_config
from publisher.runtime.app import App
from publisher.cli.main import main

PUBLISHER = str(Path(sys.executable).with_name("publisher"))
DELIVERY_KEYS = {"channel", "status", "attempts", "external_id", "external_url", "published_at", "last_error"}


class Site:
    """A configured office in tmp_path: a CMS website (the emulator), an RSS mirror, a disabled channel."""

    def __init__(self, tmp_path: Path, db_url: str, server, **website):
        self.dir = tmp_path
        self.server = server
        blocks = {
            "website": cms_block(server, **website),
            "feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn",
                     "count_in_report": False},
            "archive": {"type": "cms", "base_url": "http://127.0.0.1:9", "enabled": False},
        }
        self.config = write_config(tmp_path, db_url, blocks, routing={"default": ["website", "feed"]},
                                   limits={"body_max_bytes": 4000, "title_max": 60})
        self.attachments = tmp_path / "attachments"

    def cli(self, *args: str):
        """Run ``publisher --config <site> ARGS``; a user mistake must never end in a traceback.

        """
        result = CliRunner().invoke(main, ["--config", str(self.config), *args], env={"PUBLISHER_CONFIG": None})
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result

    def json(self, *args: str):
        result = self.cli(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def add(self, *args: str) -> int:
        return self.json("queue", "add", *args)["id"]

    def items(self) -> list[dict]:
        return self.json("queue", "list")

    def stored(self, item_id: int) -> dict:
        """The item as the store keeps it (body included)."""
        app = App.load(self.config)
        try:
            return app.store.get_item(item_id)
        finally:
            app.close()

    def blobs(self) -> list[Path]:
        return sorted(p for p in self.attachments.rglob("*") if p.is_file()) if self.attachments.exists() else []

    def write(self, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
        path = self.dir / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
        return path


@pytest.fixture
def site(tmp_path, sqlite_url, cms_server) -> Site:
    return Site(tmp_path, sqlite_url, cms_server)


def png(path: Path, colour: str = "red") -> Path:
    Image.new("RGB", (4, 4), colour).save(path)
    return path


# -- queue add ------------------------------------------------------------------------------------
def test_queue_add_prints_the_id(site):
    result = site.cli("queue", "add", "--title", "关于开展住房保障年审的通知", "--category", "公示公告")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1"
    assert site.json("queue", "add", "--title", "第二条", "--category", "其他") == {"id": 2}
    assert [i["id"] for i in site.items()] == [2, 1]


def test_queue_add_without_a_body_uses_the_title_as_its_text(site):
    item_id = site.add("--title", "关于端午节放假的通知", "--category", "其他", "--body", "")
    assert site.stored(item_id)["body_html"] == "<p>关于端午节放假的通知</p>"
    result = site.cli("run", "--once")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args, expected", [
    (["--title", "", "--category", "其他"], "title: required"),
    (["--title", "   ", "--category", "其他"], "title: required"),
    (["--category", "其他"], "--title"),
    (["--title", "长" * 61, "--category", "其他"], "title: 61 characters; the limit is 60"),
    (["--title", "通知", "--category", "不存在"], "category: unknown category '不存在'"),
    (["--title", "通知", "--category", "其他", "--channel", "nowhere"], "channel: 'nowhere' is not configured"),
    (["--title", "通知", "--category", "其他", "--channel", "archive"], "channel: 'archive' is disabled"),
    (["--title", "通知", "--category", "其他", "--at", "next tuesday"], "at: 'next tuesday' is not an ISO 8601 time"),
    (["--title", "通知", "--category", "其他", "--at", "2019-13-40T09:00"], "at: '2019-13-40T09:00'"),
    (["--title", "通知", "--category", "其他", "--body", "<p>" + "字" * 2000 + "</p>"], "limits.body_max_bytes"),
    (["--title", "通知", "--category", "其他", "--attach", "missing.pdf"], "attach: file not found"),
    (["--title", "通知", "--category", "其他", "--option", "wechat"], "use CHANNEL.KEY=VALUE"),
], ids=["empty-title", "blank-title", "no-title", "long-title", "category", "unknown-channel", "disabled-channel",
        "bad-at", "impossible-date", "oversize-body", "missing-attachment", "bad-option"])
def test_queue_add_refusals_write_nothing(site, args, expected):
    attachment = png(site.dir / "photo.png")
    result = site.cli("queue", "add", *args, "--attach", str(attachment))
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert site.items() == []
    assert site.blobs() == []


def test_body_files_gbk_decoded_binary_and_garbage_refused(site):
    attachment = png(site.dir / "photo.png")
    gbk = site.write("gbk.html", "<p>关于公布2019年第一季度水质检测结果的公告</p>", encoding="gbk")
    item_id = site.add("--title", "水质公告", "--category", "水质检测", "--body-file", str(gbk))
    assert site.stored(item_id)["body_html"] == "<p>关于公布2019年第一季度水质检测结果的公告</p>"
    plain = site.write("gb18030.txt", "第一行:住房保障\n第二行:公示\n", encoding="gb18030")
    item_id = site.add("--title", "纯文本", "--category", "其他", "--body-file", str(plain))
    assert site.stored(item_id)["body_html"] == "<p>第一行:住房保障</p><p>第二行:公示</p>"
    before = site.items()

    big = site.write("big.html", "<p>" + "字" * 1400 + "</p>")  # 4,207 bytes; limits.body_max_bytes is 4000
    binary = site.write("scan.pdf", b"%PDF-1.4\x00\x01\x02\xff\xfe" * 50)
    latin = site.write("latin.txt", "café crème brûlée résumé".encode("latin-1"))
    junk = site.write("junk.bin", bytes([0x81, 0x30, 0xFF, 0xFE, 0x80, 0x80, 0xC3, 0x28]) * 20)
    for path, expected in ((big, "limits.body_max_bytes"), (binary, "binary file"), (latin, "not UTF-8"),
                           (junk, "not UTF-8")):
        result = site.cli("queue", "add", "--title", "坏文件", "--category", "其他", "--body-file", str(path),
                          "--attach", str(attachment))
        assert result.exit_code == 2, result.output
        assert path.name in result.stderr and expected in result.stderr
        assert "--encoding" in result.stderr or expected != "not UTF-8"
    assert site.items() == before
    assert site.blobs() == []
    # Windows Notepad's "Unicode" (UTF-16 with a BOM) is text, not binary
    utf16 = site.write("notepad.txt", "<p>住房保障公示</p>", encoding="utf-16")
    item_id = site.add("--title", "记事本", "--category", "其他", "--body-file", str(utf16))
    assert site.stored(item_id)["body_html"] == "<p>住房保障公示</p>"
    # naming the encoding makes the Latin-1 file readable
    item_id = site.add("--title", "法文", "--category", "其他", "--body-file", str(latin), "--encoding", "latin-1")
    assert "crème brûlée" in site.stored(item_id)["body_html"]


def test_at_without_offset_is_office_local_time(site):
    def publish_at(at: str) -> str:
        return site.json("item", "show", str(site.add("--title", "定时", "--category", "其他", "--at", at)))["publish_at"]

    assert publish_at("2019-03-10T09:00") == "2019-03-10T01:00:00+00:00"
    assert publish_at("2019-03-10 09:00") == "2019-03-10T01:00:00+00:00"
    assert publish_at("2019-03-10T09:00+00:00") == "2019-03-10T09:00:00+00:00"
    assert publish_at("2019-03-10T09:00Z") == "2019-03-10T09:00:00+00:00"
    assert publish_at("2019-12-31T23:30") == "2019-12-31T15:30:00+00:00"
    listing = site.cli("queue", "list").stdout
    assert "2019-03-10 09:00" in listing and "2019-03-10 17:00" in listing  # shown in office time


def test_body_html_is_sanitised(site):
    body = ('<p onclick="steal()">住房公积金<script>alert(1)</script>'
            '<a href="javascript:alert(2)">链接</a><a href="https://www.example.gov.cn/x">官网</a>'
            '<img src="x.png" onerror="alert(3)"></p>')
    item_id = site.add("--title", "净化", "--category", "其他", "--body", body.replace('x.png', 'https://e.cn/x.png'))
    stored = site.stored(item_id)["body_html"]
    for bad in ("script", "alert", "onclick", "onerror", "javascript:"):
        assert bad not in stored
    assert "住房公积金" in stored and 'href="https://www.example.gov.cn/x"' in stored
    # script hidden in CSS (old IE expression(), url(javascript:...), escaped) goes too; plain styles stay
    styled = ('<p style="background:url(javascript:alert(1))">甲</p><p style="width:exp\\72 ession(alert(2))">乙</p>'
              '<p style="color:red;text-align:center">丙</p>')
    stored = site.stored(site.add("--title", "样式", "--category", "其他", "--body", styled))["body_html"]
    assert "alert" not in stored and "javascript" not in stored
    assert '<p style="color:red;text-align:center">丙</p>' in stored


def test_attachments_are_content_addressed(site):
    a = png(site.dir / "a.png")
    copy = site.write("copy-of-a.png", a.read_bytes())
    first = site.add("--title", "附件一", "--category", "其他", "--attach", str(a), "--attach", str(a))
    site.add("--title", "附件二", "--category", "其他", "--attach", str(copy))
    sha = hashlib.sha256(a.read_bytes()).hexdigest()
    blobs = site.blobs()
    assert [b.name for b in blobs] == [sha]
    assert blobs[0].read_bytes() == a.read_bytes()
    shown = site.json("item", "show", str(first))
    assert [(x["filename"], x["sha256"], x["inline"]) for x in shown["attachments"]] == [("a.png", sha, False)]


def test_local_image_in_body_file_is_stored_and_rewritten(site):
    pic = png(site.dir / "pic.png", "blue")
    sha = hashlib.sha256(pic.read_bytes()).hexdigest()
    body = site.write("body.html", '<p>现场照片</p><p><img src="pic.png" alt="现场"></p>')
    item_id = site.add("--title", "带图", "--category", "其他", "--body-file", str(body))
    stored = site.stored(item_id)
    assert f'src="attachment:{sha}"' in stored["body_html"] and "pic.png" not in stored["body_html"]
    assert [b.name for b in site.blobs()] == [sha]
    assert [(a["sha256"], a["inline"]) for a in stored["attachments"]] == [(sha, True)]
    # the image travels with the item to the CMS
    assert site.cli("run", "--once").exit_code == 0
    [article] = site.server.emulator.live_articles()
    assert "attachment:" not in json.dumps(article)

    missing = site.write("broken.html", '<p><img src="gone.png"></p>')
    result = site.cli("queue", "add", "--title", "缺图", "--category", "其他", "--body-file", str(missing))
    assert result.exit_code == 2 and "gone.png" in result.stderr


def test_channel_check_names_the_channel_when_a_title_is_too_long(tmp_path, sqlite_url, cms_server):
    site = Site(tmp_path, sqlite_url, cms_server, max_title_length=20)
    title = "关于2019年度城镇住房保障家庭租赁补贴资格审核结果的公示"
    result = site.cli("queue", "add", "--title", title, "--category", "公示公告")
    assert result.exit_code == 2
    assert "channel website: title is 29 characters" in result.stderr
    assert "--option website.title=" in result.stderr
    assert site.items() == []
    item_id = site.add("--title", title, "--category", "公示公告", "--body", "<p>名单</p>",
                       "--option", "website.title=租赁补贴资格审核结果公示")
    assert site.cli("run", "--once").exit_code == 0
    assert [a["title"] for a in cms_server.emulator.live_articles()] == ["租赁补贴资格审核结果公示"]
    assert site.json("item", "show", str(item_id))["title"] == title


# -- queue import ---------------------------------------------------------------------------------
ROWS = [
    {"title": "2019年3月水质检测结果", "category": "水质检测", "at": "2019-03-10T09:00", "body": "各项指标均达标"},
    {"title": "机构职能调整公告", "category": "机构概况", "channels": "website", "department": "办公室",
     "body": "<p>调整如下</p>"},
    {"title": "保障房分配结果公示", "category": "公示公告", "body": "<p>名单见附件</p>"},
]


def test_import_json_lines(site):
    path = site.write("items.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\n\n")
    result = site.json("queue", "import", str(path))
    assert result == {"ids": [1, 2, 3], "count": 3}
    listed = {i["title"]: i for i in site.items()}
    assert set(listed) == {r["title"] for r in ROWS}
    assert listed["2019年3月水质检测结果"]["publish_at"] == "2019-03-10T01:00:00+00:00"
    assert [d["channel"] for d in listed["机构职能调整公告"]["deliveries"]] == ["website"]
    assert [d["channel"] for d in listed["保障房分配结果公示"]["deliveries"]] == ["website", "feed"]


def _csv(rows: list[dict]) -> str:
    lines = ["title,category,at,channels,body"]
    lines += [f"{r['title']},{r['category']},{r.get('at', '')},{r.get('channels', '')},\"{r.get('body', '')}\""
              for r in rows]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_import_csv_in_utf8_and_gbk(site, encoding):
    path = site.write(f"items-{encoding}.csv", _csv(ROWS), encoding=encoding)
    result = site.cli("queue", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "queued 3 items" in result.stdout
    assert sorted(i["title"] for i in site.items()) == sorted(r["title"] for r in ROWS)


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_import_with_one_bad_row_queues_nothing_and_names_the_line(site, suffix):
    pic = png(site.dir / "pic.png")
    rows = [dict(ROWS[0]), dict(ROWS[1], category="不存在"), dict(ROWS[2])]
    if suffix == "jsonl":
        rows[0]["attach"] = [str(pic)]
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    else:
        text = _csv(rows)
    path = site.write(f"bad.{suffix}", text)
    result = site.cli("queue", "import", str(path))
    expected_line = 2 if suffix == "jsonl" else 3  # the CSV header is line 1
    assert result.exit_code == 2
    assert f"line {expected_line}:" in result.stderr and "不存在" in result.stderr
    assert "nothing was queued" in result.stderr
    assert site.items() == []
    assert site.blobs() == []


@pytest.mark.parametrize("content, expected", [
    ('{"title": "a", "category": "其他"}\n{"title": "b", "category": \n', "line 2: not valid JSON"),
    ('{"title": ["a"], "category": "其他"}\n', "line 1: title must be text"),
    ('{"title": "a", "category": "其他", "colour": "red"}\n', "line 1: unknown field(s) colour"),
    ('{"title": "a", "category": "其他", "options": {"website": 5}}\n', "line 1: options must be an object"),
    ('[1, 2]\n', "line 1: each line must be a JSON object"),
], ids=["json", "type", "field", "options", "not-object"])
def test_import_malformed_json_lines(site, content, expected):
    path = site.write("bad.jsonl", content)
    result = site.cli("queue", "import", str(path))
    assert result.exit_code == 2 and expected in result.stderr
    assert site.items() == []


def test_import_csv_errors(site):
    path = site.write("cols.csv", "title,category,colour\n通知,其他,red\n")
    result = site.cli("queue", "import", str(path))
    assert result.exit_code == 2 and "line 1: unknown column(s) colour" in result.stderr
    empty = site.write("empty.csv", "title,category\n")
    result = site.cli("queue", "import", str(empty))
    assert result.exit_code == 2 and "no items" in result.stderr
    result = site.cli("queue", "import", str(site.dir / "nope.csv"))
    assert result.exit_code == 2 and "file not found" in result.stderr
    unquoted = site.write("unquoted.csv", "title,category\n通知一,其他\n关于甲,乙的通知,其他\n")
    result = site.cli("queue", "import", str(unquoted))
    assert result.exit_code == 2 and "line 3: more fields than the header" in result.stderr
    assert site.items() == []


# -- list, show, run, retract, retry --------------------------------------------------------------
def test_item_show_and_queue_list_shapes(site):
    item_id = site.add("--title", "保障房分配结果公示", "--category", "公示公告")
    shown = site.json("item", "show", str(item_id))
    assert {"id", "title", "category", "deliveries"} <= set(shown)
    assert (shown["id"], shown["title"], shown["category"]) == (item_id, "保障房分配结果公示", "公示公告")
    assert [d["channel"] for d in shown["deliveries"]] == ["website", "feed"]
    for d in shown["deliveries"]:
        assert DELIVERY_KEYS <= set(d)
        assert d["status"] == "pending" and d["attempts"] == 0
        assert d["external_id"] is None and d["published_at"] is None and d["last_error"] is None
    [listed] = site.items()
    assert listed["id"] == item_id and listed["deliveries"][0] == {"channel": "website", "status": "pending"}
    assert site.json("queue", "list", "--status", "published") == []
    text = site.cli("item", "show", str(item_id)).stdout
    assert "保障房分配结果公示" in text and "website" in text and "pending" in text
    missing = site.cli("item", "show", "999")
    assert missing.exit_code == 2 and "no item with id 999" in missing.stderr


def test_run_once_publishes_and_retract_takes_it_down(site, cms_server):
    item_id = site.add("--title", "关于2019年保障性住房分配结果的公示", "--category", "公示公告", "--body", "<p>名单</p>")
    result = site.cli("run", "--once")
    assert result.exit_code == 0, result.output
    shown = site.json("item", "show", str(item_id))
    website = shown["deliveries"][0]
    assert {d["status"] for d in shown["deliveries"]} == {"published"}
    assert website["attempts"] == 1 and website["external_url"].startswith(cms_server.url)
    assert website["external_id"] and website["published_at"]
    assert [a["title"] for a in cms_server.emulator.live_articles()] == ["关于2019年保障性住房分配结果的公示"]
    assert [i["id"] for i in site.json("queue", "list", "--status", "published")] == [item_id]
    assert site.cli("run", "--once").stdout.strip() == "nothing due"

    result = site.cli("item", "retract", str(item_id), "--reason", "误发")
    assert result.exit_code == 0, result.output
    assert {d["status"] for d in site.json("item", "show", str(item_id))["deliveries"]} == {"retracted"}
    assert cms_server.emulator.live_articles() == []
    assert "保障性住房" not in (site.dir / "feed.xml").read_text(encoding="utf-8")
    result = site.cli("item", "retry", str(item_id))
    assert result.exit_code == 2 and "retracted" in result.stderr


def test_failed_delivery_exits_1_and_retry_sends_it_again(site, cms_server):
    item_id = site.add("--title", "水质检测结果", "--category", "水质检测", "--body", "<p>合格</p>",
                       "--channel", "website")
    cms_server.emulator.faults.add("status", status=500, path="^/api/articles$")
    result = site.cli("run", "--once")
    assert result.exit_code == 1
    [d] = site.json("item", "show", str(item_id))["deliveries"]
    assert d["status"] == "failed" and d["attempts"] == 1 and "500" in d["last_error"]
    assert cms_server.emulator.live_articles() == []

    assert site.cli("item", "retry", str(item_id), "--channel", "nowhere").exit_code == 2
    result = site.cli("item", "retry", str(item_id))
    assert result.exit_code == 0 and "will retry: website" in result.stdout
    assert site.cli("run", "--once").exit_code == 0
    [d] = site.json("item", "show", str(item_id))["deliveries"]
    assert d["status"] == "published" and d["last_error"] is None
    assert len(cms_server.emulator.live_articles()) == 1
    assert site.cli("item", "retry", str(item_id)).stdout.strip() == "nothing to retry"


# -- the installed script, end to end -------------------------------------------------------------
def _run(*args: str, config: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PUBLISHER_CONFIG"}
    return subprocess.run([PUBLISHER, "--config", str(config), *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_installed_script_queue_run_show(site, cms_server):
    body = site.write("notice.html", "<p>经审核,以下家庭符合保障条件。</p>", encoding="gbk")
    added = _run("queue", "add", "--title", "保障家庭公示", "--category", "公示公告", "--body-file", str(body),
                 "--json", config=site.config)
    assert added.returncode == 0, added.stderr
    item_id = json.loads(added.stdout)["id"]
    ran = _run("run", "--once", config=site.config)
    assert ran.returncode == 0, ran.stderr
    shown = json.loads(_run("item", "show", str(item_id), "--json", config=site.config).stdout)
    assert {d["status"] for d in shown["deliveries"]} == {"published"}
    [article] = cms_server.emulator.live_articles()
    assert "经审核,以下家庭符合保障条件。" in json.dumps(article, ensure_ascii=False)


def test_installed_script_refuses_bad_input_with_exit_2(site, tmp_path):
    bad = _run("queue", "add", "--title", "通知", "--category", "不存在", config=site.config)
    assert bad.returncode == 2 and "category" in bad.stderr and "Traceback" not in bad.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("categories: [其他]\nchannels: {web: {type: nope}}\nrouting: {default: [web]}\n",
                      encoding="utf-8")
    result = _run("queue", "list", config=broken)
    assert result.returncode == 2 and "channels.web.type: unknown channel type" in result.stderr
    assert "Traceback" not in result.stderr


def test_item_settle_records_an_in_doubt_delivery_found_by_hand(site, cms_server):
    item_id = site.add("--title", "关于住房公积金缴存基数调整的通知", "--category", "其他")
    cms_server.emulator.faults.add("accept_then_drop", path="^/api/articles$")
    assert site.cli("run", "--once").exit_code == 1
    show = site.json("item", "show", str(item_id))
    assert {d["channel"]: d["status"] for d in show["deliveries"]}["website"] == "in_doubt"

    refused = site.cli("item", "settle", str(item_id), "--channel", "feed", "--url", "http://x")
    assert refused.exit_code == 2 and "feed" in refused.output  # only a delivery in doubt can be settled
    done = site.cli("item", "settle", str(item_id), "--channel", "website", "--url", "http://portal/a/1.html")
    assert done.exit_code == 0, done.output
    website = next(d for d in site.json("item", "show", str(item_id))["deliveries"] if d["channel"] == "website")
    assert website["status"] == "published" and website["external_url"] == "http://portal/a/1.html"
    assert site.cli("item", "settle", str(item_id), "--channel", "website", "--url", "http://y").exit_code == 2


def test_without_routing_items_name_their_channels(tmp_path, sqlite_url, cms_server):
    from conftest import cms_block, write_config

    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server)}, routing={"政策文件": ["website"]})
    run = lambda *a: CliRunner().invoke(main, ["--config", str(config), *a])  # noqa: E731
    assert run("check-config").exit_code == 0
    refused = run("queue", "add", "--title", "通知", "--category", "其他")
    assert refused.exit_code == 2 and "channel" in refused.output
    assert run("queue", "add", "--title", "通知", "--category", "其他", "--channel", "website").exit_code == 0


def test_a_word_body_file_is_converted_with_its_table_and_picture(site):
    """`queue add --body-file 公示.docx`: the table and picture are kept, the heading repeating the title is not."""
    from document_samples import NOTICE_TITLE, gongshi_docx, table_cells

    docx = site.write("公示.docx", gongshi_docx(rows=5))
    item_id = site.add("--title", NOTICE_TITLE, "--category", "公示公告", "--body-file", str(docx))
    stored = site.stored(item_id)
    assert stored["body_html"].count("<td") + stored["body_html"].count("<th") == table_cells(5)
    assert NOTICE_TITLE not in stored["body_html"] and "<ol>" in stored["body_html"]
    assert [a["inline"] for a in stored["attachments"]] == [True]
    assert 'src="attachment:' in stored["body_html"]
