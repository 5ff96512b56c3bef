"""`publisher backfill`: publications made before publisher count, are marked imported, and are never sent."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from conftest import cms_block
from publisher.runtime.app import App
from publisher.foundation.clock import SimulatedClock
from publisher.config.load import load_config
from publisher.delivery.dispatcher import Dispatcher
from report_support import PUBLICATIONS, backfill, cli, office


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_backfilled_publications_count_and_are_never_sent(tmp_path, db_url, cms_server):
    channels = {"website": cms_block(cms_server), "trading": cms_block(cms_server, display_name="公共资源交易中心网站",
                                                                       report_breakdown=False)}
    config = office(tmp_path, db_url, channels=channels)
    ids = backfill(config, tmp_path)
    assert len(ids) == len(PUBLICATIONS) - 1  # the notice on both channels is one item

    tally = cli(config, "tally", "--year", "2019", "--json")
    import json

    t = json.loads(tally.stdout)
    assert (t["publications"], t["distinct_items"]) == (7, 6)
    assert t["channels"][0]["by_category"] == {"机构概况": 1, "政策文件": 1, "水质检测": 2, "公示公告": 1}

    app = App.from_config(load_config(config), SimulatedClock(datetime(2030, 1, 1, tzinfo=timezone.utc)))
    try:
        stats = Dispatcher(app).run_due()
    finally:
        app.close()
    assert sum(stats.outcomes.values()) == 0, stats.outcomes  # nothing was due: nothing was sent
    assert cms_server.emulator.live_articles() == []

    rows = list(csv.reader(io.StringIO(cli(config, "report", "--year", "2019", "--format", "csv").stdout.lstrip("\ufeff"))))
    assert {r[6] for r in rows[1:]} == {"是"}
    shown = cli(config, "item", "show", str(ids[0]), "--events", "--json").stdout
    assert "backfilled" in shown


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_bad_backfill_rows_name_line_and_field_and_record_nothing(tmp_path, db_url):
    config = office(tmp_path, db_url)
    source = tmp_path / "bad.csv"
    source.write_text("channel,title,category,published_at,url\n"
                      "website,通知,公示公告,2019-03-01T09:00,http://x/1.html\n"
                      "weibo,通知,公示公告,2019-03-01T09:00,http://x/2.html\n", encoding="utf-8")
    result = cli(config, "backfill", str(source))
    assert result.exit_code == 2 and "line 3" in result.stderr and "channel" in result.stderr
    source.write_text("channel,title,category,published_at,url\nwebsite,通知,公示公告,三月一日,http://x/1.html\n",
                      encoding="utf-8")
    assert "published_at" in cli(config, "backfill", str(source)).stderr
    source.write_text("channel,title,category,published_at,url\nwebsite,通知,公示公告,2019-03-01T09:00,\n", encoding="utf-8")
    assert "url" in cli(config, "backfill", str(source)).stderr
    import json

    assert json.loads(cli(config, "tally", "--year", "2019", "--json").stdout)["publications"] == 0
