"""`publisher tally` and `publisher report`: a year published through the real dispatcher at simulated instants,
counted in the office's time zone, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from conftest import cms_block
from publisher.runtime.app import App
from publisher.config.load import load_config
from publisher.foundation.clock import SimulatedClock
from publisher.delivery.dispatcher import Dispatcher
from conftest import run_cli as cli

CST = timezone(timedelta(hours=8))
CHANNEL_KEYS = {"channel", "display_name", "count_in_report", "total", "by_category"}

# (title, category, local time, channels or None for routing); queued in this order, so ids are 1..9
YEAR = [
    ("元旦零点半的公告", "公示公告", "2019-01-01T00:30", None),             # 2018-12-31 16:30 UTC: still 2019
    ("机构职能调整", "机构概况", "2019-03-01T09:00", None),
    ("4月1日水质检测结果", "水质检测", "2019-04-01T08:00", None),
    ("4月2日水质检测结果", "水质检测", "2019-04-02T08:00", None),
    ("4月3日水质检测结果", "水质检测", "2019-04-03T08:00", None),
    ("保障房摇号结果公示", "公示公告", "2019-05-01T10:00", "website;resource"),  # one item, two channels
    ("工程招标公告", "公示公告", "2019-05-02T10:00", "resource"),
    ("误发的通知", "其他", "2019-07-01T10:00", None),                       # retracted later
    ("除夕夜的公告", "公示公告", "2019-12-31T23:30", None),                 # 15:30 UTC: 2019
    ("新年第一条公告", "公示公告", "2020-01-01T00:30+08:00", None),          # 2020
]
PARAGRAPH_2019 = ("2019年，我局主动公开政府信息9条（各渠道发布合计；涉及不重复信息8条）。"
                  "测试网站平台全年共发布部门动态信息7条，其中机构概况1条，水质检测3条，公示公告3条。"
                  "公共资源交易中心网站发布信息2条。")


@pytest.fixture
def clock() -> SimulatedClock:
    """Start before the year so every item is published at its own instant."""
    return SimulatedClock(datetime(2018, 12, 1, tzinfo=timezone.utc))


def cli_json(config, *args: str):
    result = cli(config, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def app(db_url, cms_server, clock, tmp_path):
    """An office with a website, a resource-trading site (no breakdown) and an RSS mirror, in config order."""
    doc = {
        "office": {"name": "测试县住房和城乡建设局", "short_name": "我局", "timezone": "Asia/Shanghai"},
        "database": {"url": db_url},
        "storage": {"attachments": str(tmp_path / "attachments")},
        "categories": ["机构概况", "政策文件", "水质检测", "公示公告", "其他"],
        "channels": {
            "website": cms_block(cms_server),
            "resource": cms_block(cms_server, display_name="公共资源交易中心网站", report_breakdown=False),
            "feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn",
                     "display_name": "RSS订阅", "count_in_report": False},
        },
        "routing": {"default": ["website", "feed"], "水质检测": ["website"]},
        "review": {"enabled": False},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    app = App.from_config(load_config(path), clock)
    yield app
    app.close()


@pytest.fixture
def year(app, clock, tmp_path):
    """Queue YEAR through the CLI, publish each item at its time with the dispatcher, retract one item."""
    config = app.config.path
    rows = [{"title": t, "category": c, "at": at, "body": f"<p>{t}</p>", **({"channels": ch} if ch else {})}
            for t, c, at, ch in YEAR]
    source = tmp_path / "year.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert cli_json(config, "queue", "import", str(source))["ids"] == list(range(1, len(YEAR) + 1))
    for _, _, at, _ in YEAR:
        when = datetime.fromisoformat(at)
        clock.set(when if when.tzinfo else when.replace(tzinfo=CST))
        stats = Dispatcher(app).run_due()
        assert stats.failures == 0, stats.outcomes
    assert cli(config, "item", "retract", "8", "--reason", "误发").exit_code == 0
    return config


def test_year_boundary_follows_the_office_time_zone(year):
    t2019 = cli_json(year, "tally", "--year", "2019", "--items")
    website = t2019["channels"][0]
    assert website["channel"] == "website"
    assert 1 in website["items"]["公示公告"]  # 2019-01-01 00:30 local, though 2018 in UTC
    assert 9 in website["items"]["公示公告"]  # 2019-12-31 23:30 local = 15:30 UTC
    assert 10 not in website["items"]["公示公告"]
    t2020 = cli_json(year, "tally", "--year", "2020", "--items")
    assert t2020["channels"][0]["items"] == {"公示公告": [10]}
    assert (t2020["publications"], t2020["distinct_items"]) == (1, 1)
    t2018 = cli_json(year, "tally", "--year", "2018")
    assert (t2018["publications"], t2018["distinct_items"]) == (0, 0)
    assert all(ch["total"] == 0 for ch in t2018["channels"])


def test_tally_counts_per_channel_and_category(year):
    t = cli_json(year, "tally", "--year", "2019")
    assert {"year", "channels", "distinct_items", "publications"} <= set(t)
    assert t["year"] == 2019
    for ch in t["channels"]:
        assert CHANNEL_KEYS <= set(ch)
    summary = {ch["channel"]: (ch["display_name"], ch["count_in_report"], ch["total"], ch["by_category"])
               for ch in t["channels"]}
    assert list(summary) == ["website", "resource", "feed"]  # config order
    assert summary["website"] == ("测试网站平台", True, 7, {"机构概况": 1, "水质检测": 3, "公示公告": 3})
    assert list(summary["website"][3]) == ["机构概况", "水质检测", "公示公告"]  # config order of categories
    assert summary["resource"] == ("公共资源交易中心网站", True, 2, {"公示公告": 2})
    assert summary["feed"] == ("RSS订阅", False, 3, {"机构概况": 1, "公示公告": 2})
    # item 6 went to two reported channels: 9 publications, 8 distinct items; the RSS mirror is not counted
    assert (t["publications"], t["distinct_items"]) == (9, 8)
    # the retracted item is counted apart, not in the totals
    retracted = {ch["channel"]: ch["retracted"] for ch in t["channels"]}
    assert retracted == {"website": 1, "resource": 0, "feed": 1}
    assert "其他" not in summary["website"][3]

    # --items: the ids behind every number
    t = cli_json(year, "tally", "--year", "2019", "--items")
    website = t["channels"][0]
    assert website["items"] == {"机构概况": [2], "水质检测": [3, 4, 5], "公示公告": [1, 6, 9]}
    assert website["retracted_items"] == [8]
    assert t["channels"][1]["items"] == {"公示公告": [6, 7]}
    text = cli(year, "tally", "--year", "2019", "--items").stdout
    assert "9 publications" in text and "8 distinct items" in text
    assert "水质检测: 3  items 3-5" in text
    assert "公示公告: 3  items 1,6,9" in text
    assert "not counted in the report" in text


def test_report_paragraph_in_the_reference_wording(year):
    result = cli(year, "report", "--year", "2019")
    assert result.exit_code == 0, result.output
    assert PARAGRAPH_2019 in result.stdout
    assert "RSS订阅" not in result.stdout  # a mirror that is not counted
    assert "2020年，我局主动公开政府信息1条。测试网站平台全年共发布部门动态信息1条，其中公示公告1条。" in \
        cli(year, "report", "--year", "2020").stdout


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # rendering does not depend on the database
def test_report_formats(year, tmp_path):
    from docx import Document

    data = json.loads(cli(year, "report", "--year", "2019", "--format", "json").stdout)
    assert data["sections"][0]["blocks"][0]["text"] == PARAGRAPH_2019 and data["tally"]["publications"] == 9
    html = cli(year, "report", "--year", "2019", "--format", "html").stdout
    assert html.startswith("<!doctype html>") and PARAGRAPH_2019 in html
    assert cli(year, "report", "--year", "2019", "--format", "docx").exit_code == 2  # binary needs -o

    out = tmp_path / "report.docx"
    result = cli(year, "report", "--year", "2019", "--format", "docx", "-o", str(out))
    assert result.exit_code == 0, result.output
    doc = Document(io.BytesIO(out.read_bytes()))
    assert PARAGRAPH_2019 in [p.text for p in doc.paragraphs]
    assert len(doc.tables) == 3  # Tables 二, 三, 四
    md = tmp_path / "report.md"
    assert cli(year, "report", "--year", "2019", "-o", str(md)).exit_code == 0
    assert PARAGRAPH_2019 in md.read_text(encoding="utf-8")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_report_and_tally_input_mistakes_exit_2(app, tmp_path):
    config = app.config.path
    result = cli(config, "report", "--year", "2019", "-o", str(tmp_path / "no" / "such" / "dir" / "r.md"))
    assert result.exit_code == 2 and "--output: cannot write" in result.stderr
    for year in ("0", "10000", "二〇一九"):
        assert cli(config, "tally", "--year", year).exit_code == 2
    assert cli(config, "report", "--year", "2019", "--format", "pdf").exit_code == 2  # binary: needs -o
    empty = cli(config, "report", "--year", "2019").stdout
    assert "2019年，我局主动公开政府信息0条。" in empty
