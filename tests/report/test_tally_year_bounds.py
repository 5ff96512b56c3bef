"""The year and its months are the office's: a publication at local 00:00:00 on 1 January or 23:59:59 on
31 December (or on a month's first and last second, across daylight-saving changes) counts where the office's
calendar puts it, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
import yaml

from report_support import backfill, cli, office, report_json

# (local time, year, month): each second just inside a bound of 2019 or its months
EDGES = [
    ("2018-12-31T23:59:59", 2018, 12),
    ("2019-01-01T00:00:00", 2019, 1),
    ("2019-03-31T23:59:59", 2019, 3),   # New York on daylight time since 10 March; Berlin since 31 March 03:00
    ("2019-04-01T00:00:00", 2019, 4),
    ("2019-10-31T23:59:59", 2019, 10),  # Berlin back on standard time since 27 October, New York not yet
    ("2019-11-01T00:00:00", 2019, 11),
    ("2019-11-30T23:59:59", 2019, 11),  # New York on standard time since 3 November
    ("2019-12-01T00:00:00", 2019, 12),
    ("2019-12-31T23:59:59", 2019, 12),
    ("2020-01-01T00:00:00", 2020, 1),
]


@pytest.fixture(params=["Asia/Shanghai", "America/New_York", "Europe/Berlin"])
def config(request, tmp_path, db_url):
    """An office in the zone of the parameter, whose website published one item at each of EDGES (local time)."""
    path = office(tmp_path, db_url)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["office"]["timezone"] = request.param
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    ids = backfill(path, tmp_path, [("website", f"第{n}条", "公示公告", at) for n, (at, _, _) in enumerate(EDGES)])
    assert len(ids) == len(EDGES)
    return path, dict(zip(ids, EDGES))


def test_a_year_starts_and_ends_at_local_midnight(config):
    path, edges = config
    for year in (2018, 2019, 2020):
        result = cli(path, "tally", "--year", str(year), "--items", "--json")
        assert result.exit_code == 0, result.output
        website = json.loads(result.stdout)["channels"][0]
        expected = sorted(i for i, (_, y, _) in edges.items() if y == year)
        assert website["total"] == len(expected)
        assert website["items"] == {"公示公告": expected}


def test_months_start_and_end_at_local_midnight_across_daylight_saving_changes(config):
    path, edges = config
    months = [0] * 12
    for _, year, month in edges.values():
        if year == 2019:
            months[month - 1] += 1
    assert months == [1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 2, 2]
    assert report_json(path, "--year", "2019")["chart"]["series"] == {"测试网站平台": months}
