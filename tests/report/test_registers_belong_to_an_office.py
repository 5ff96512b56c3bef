"""Two offices sharing one database keep two registers: each office's report, list and decisions see its own
applications and appeals only (revision 0017); rows written before registers had offices stay with whoever reads."""

from __future__ import annotations

import json

import yaml
from sqlalchemy import update

from report_support import cli, office, report_json


def _two_offices(tmp_path, db_url):
    configs = {}
    for code in ("rudong", "haian"):
        folder = tmp_path / code
        folder.mkdir()
        path = office(folder, db_url)
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["office"]["code"] = code
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
        configs[code] = path
    return configs["rudong"], configs["haian"]


def _received(config, year: int) -> int:
    rows = report_json(config, "--year", str(year))["tables"]["三"]["rows"]
    return next(r["values"]["总计"] for r in rows if r["key"] == "一")


def test_each_office_counts_lists_and_decides_its_own_register(tmp_path, db_url):
    rudong, haian = _two_offices(tmp_path, db_url)
    for day in ("2019-03-04", "2019-04-01"):
        assert cli(rudong, "applications", "add", "--received", day, "--applicant", "自然人").exit_code == 0
    assert cli(haian, "applications", "add", "--received", "2019-05-06", "--applicant", "商业企业").exit_code == 0
    theirs = cli(haian, "appeals", "add", "--kind", "行政复议", "--filed", "2019-06-01").stdout.strip()
    assert _received(rudong, 2019) == 2 and _received(haian, 2019) == 1
    assert len(json.loads(cli(rudong, "applications", "list", "--json").stdout)) == 2
    assert json.loads(cli(rudong, "appeals", "list", "--json").stdout) == []
    refused = cli(rudong, "appeals", "decide", theirs, "--result", "维持", "--on", "2019-08-01")
    assert refused.exit_code != 0 and f"{theirs}" in refused.stderr  # no such appeal in 如东's register
    assert cli(haian, "appeals", "decide", theirs, "--result", "维持", "--on", "2019-08-01").exit_code == 0


def test_rows_written_before_registers_had_offices_are_counted_by_the_office_that_reads_them(tmp_path, db_url):
    from publisher.config.load import load_config
    from publisher.report.registers.tables import applications
    from publisher.runtime.app import App

    rudong, _haian = _two_offices(tmp_path, db_url)
    assert cli(rudong, "applications", "add", "--received", "2019-03-04", "--applicant", "自然人").exit_code == 0
    app = App.from_config(load_config(rudong))
    with app.store.engine.begin() as conn:
        conn.execute(update(applications).values(office=None))  # as revision 0017 finds an older register
    app.close()
    assert _received(rudong, 2019) == 1
