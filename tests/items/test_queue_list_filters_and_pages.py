"""`queue list` narrows by status, channel, category, dates and text, and pages instead of stopping silently."""

from __future__ import annotations

import json


from conftest import cms_block, write_config
from conftest import run_cli as _cli


def _ids(config, *args) -> list[int]:
    result = _cli(config, "queue", "list", *args, "--json")
    assert result.exit_code == 0, result.output
    return [r["id"] for r in json.loads(result.stdout)]


def test_queue_list_filters_and_pages(tmp_path, sqlite_url, cms_server):
    feed = {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"}
    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server), "feed": feed})
    rows = [("关于停水的通知", "公示公告", "2030-03-01T09:00", "website"),
            ("水质检测结果", "水质检测", "2030-03-02T09:00", "website"),
            ("机构设置", "机构概况", "2030-04-01T09:00", "feed"),
            ("关于停电的通知", "公示公告", "2030-05-01T09:00", "feed")]
    for title, category, at, channel in rows:
        assert _cli(config, "queue", "add", "--title", title, "--category", category, "--at", at,
                    "--channel", channel).exit_code == 0
    assert _ids(config, "--category", "公示公告") == [4, 1]
    assert _ids(config, "--channel", "feed") == [4, 3]
    assert _ids(config, "--search", "通知") == [4, 1]
    assert _ids(config, "--since", "2030-03-02", "--until", "2030-04-30") == [3, 2]
    assert _ids(config, "--limit", "3") == [4, 3, 2] and _ids(config, "--limit", "3", "--page", "2") == [1]
    more = _cli(config, "queue", "list", "--limit", "3")
    assert "of 4" in more.stderr and "--page 2" in more.stderr
    bad = _cli(config, "queue", "list", "--since", "三月")
    assert bad.exit_code == 2 and "--since" in bad.stderr


def test_a_search_or_header_with_other_unicode_digits_is_text_not_a_crash(tmp_path, sqlite_url, cms_server):
    from publisher.http import retry_after_seconds

    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server)})
    assert _cli(config, "queue", "add", "--title", "第³号公告", "--category", "公示公告").exit_code == 0
    assert _ids(config, "--search", "³") == [1]  # '³'.isdigit() is True, but int('³') fails: it is text here
    assert _ids(config, "--search", "1") == [1]  # an id
    assert retry_after_seconds("³") is None and retry_after_seconds("120") == 120.0
