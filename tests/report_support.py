"""Helpers for the report tests: an office config with narrative files, a ledger filled by `publisher backfill`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

from conftest import write_config
from conftest import run_cli as cli

NARRATIVE = {
    "overview.md": "1.{{ year }}年，{{ short_name }}认真贯彻落实《条例》。\n\n2.{{ channel_paragraph }}微信公众号共{{ channel.website.total }}条(网站)。",
    "problems.md": "主要问题:人员不足;改进:加强培训。",
    "other.md": "无其他需要报告的事项。",
}
# (channel, title, category, local time); the website gets a breakdown, trading only a total
PUBLICATIONS = [
    ("website", "机构职能调整", "机构概况", "2019-03-01T09:00"),
    ("website", "关于印发住房保障办法的通知", "政策文件", "2019-04-10T10:00"),
    ("website", "4月1日水质检测结果", "水质检测", "2019-04-01T08:00"),
    ("website", "4月2日水质检测结果", "水质检测", "2019-04-02T08:00"),
    ("website", "保障房摇号结果公示", "公示公告", "2019-05-01T10:00"),
    ("trading", "保障房摇号结果公示", "公示公告", "2019-05-01T10:05"),
    ("trading", "工程招标公告", "公示公告", "2019-05-02T10:00"),
    ("website", "新年第一条公告", "公示公告", "2020-01-01T00:30"),
]


def office(tmp_path: Path, db_url: str, *, report: dict | None = None, narrative: dict | None = None,
           channels: dict | None = None) -> Path:
    """A config for an office with a website and a trading-centre site; narrative files in tmp_path/report."""
    folder = tmp_path / "report"
    folder.mkdir(exist_ok=True)
    for name, text in (NARRATIVE if narrative is None else narrative).items():
        (folder / name).write_text(text, encoding="utf-8")
    channels = channels or {
        "website": {"type": "cms", "display_name": "测试网站平台", "base_url": "http://127.0.0.1:9", "auth_token": "t"},
        "trading": {"type": "cms", "display_name": "公共资源交易中心网站", "base_url": "http://127.0.0.1:9",
                    "auth_token": "t", "report_breakdown": False},
    }
    return write_config(tmp_path, db_url, channels, report={"date": "2020-01-15", **(report or {})})


def backfill(config: Path, tmp_path: Path, rows=PUBLICATIONS, name: str = "earlier.csv") -> list[int]:
    """Record ``rows`` through `publisher backfill` and return the new item ids."""
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["channel", "title", "category", "published_at", "url", "group"])
        for n, (channel, title, category, at) in enumerate(rows):
            group = title if title == "保障房摇号结果公示" else ""
            writer.writerow([channel, title, category, at, f"http://example.gov.cn/{channel}/{n}.html", group])
    result = cli(config, "backfill", str(path), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["ids"]


def report_json(config: Path, *args: str) -> dict:
    result = cli(config, "report", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write_yaml(path: Path, doc) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
