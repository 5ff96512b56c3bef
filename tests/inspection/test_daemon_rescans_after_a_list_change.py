"""The daemon re-scans what is out when the 错敏词 list or the gate's rules change (their fingerprint, stored in the
database, differs), and not otherwise."""

from __future__ import annotations

import json

from conftest import cms_block, run_cli, write_config
from publisher.inspection.jobs import rescan_if_rules_changed
from publisher.runtime.app import App


def test_the_daemon_rescans_only_when_the_list_changed(tmp_path, db_url, cms_server):
    terms = tmp_path / "terms.csv"
    terms.write_text("word,right,category\n不存在的词,无,机构名称\n", encoding="utf-8")
    config = write_config(tmp_path, db_url, {"website": cms_block(cms_server)}, gate={"terms_file": str(terms)})
    queued = run_cli(config, "queue", "add", "--title", "通知", "--category", "公示公告",
                     "--body", "<p>请到县建设局办理。</p>", "--json")
    item = json.loads(queued.stdout)["id"]
    assert run_cli(config, "run", "--once").exit_code == 0
    app = App.load(config)
    try:
        first = rescan_if_rules_changed(app)  # nothing stored yet: the first run scans
        assert first is not None and first["scanned"] == 1 and first["opened"] == 0
        assert rescan_if_rules_changed(app) is None  # same list: nothing to do

        terms.write_text("word,right,category\n县建设局,县住房和城乡建设局,机构名称\n", encoding="utf-8")
        changed = rescan_if_rules_changed(app)  # the file is read again
        assert changed is not None and changed["opened"] == 1 and changed["items"][0]["id"] == item
        assert rescan_if_rules_changed(app) is None
    finally:
        app.close()
    listed = json.loads(run_cli(config, "corrections", "list", "--json").stdout)
    assert [(c["item_id"], c["suggestion"]) for c in listed] == [(item, "县住房和城乡建设局")]


def test_the_daemon_schedules_the_rescan_and_the_nightly_link_check(tmp_path, sqlite_url, cms_server):
    from publisher.daemon.service import Daemon

    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server)})
    app = App.load(config)
    try:
        daemon = Daemon(app)
        from publisher.inspection.jobs import schedule

        schedule(daemon.scheduler, app, daemon._guarded)
        jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
        assert {"inspection-rescan", "inspection-links"} <= set(jobs)
        assert "hour='2'" in str(jobs["inspection-links"].trigger)
    finally:
        app.close()
