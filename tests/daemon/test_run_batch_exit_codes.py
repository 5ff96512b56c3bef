"""``run --once`` and ``run --until-settled`` behave like batch commands: bounded in time, exit 0 only when nothing
that could be done remains, and name on stderr what does remain."""

from __future__ import annotations

import time

from conftest import cms_block, run_cli, write_config
from publisher.config.load import load_config
from publisher.delivery.dispatcher import Dispatcher
from publisher.runtime.app import App

FAST_RETRY = {"max_attempts": 5, "base_delay": 0.3, "max_delay": 1, "jitter": 0.0, "lease": "2m",
              "in_doubt_delay": 0.2}


def office(tmp_path, db_url, cms_server, **block):
    config = write_config(tmp_path, db_url, {"cms": cms_block(cms_server, **block)}, retry=FAST_RETRY)
    return config


def queue(config, title: str) -> int:
    result = run_cli(config, "queue", "add", "--title", title, "--category", "公示公告", "--body", "<p>内容</p>",
                     "--json")
    assert result.exit_code == 0, result.output
    return int(result.output.split(":")[1].strip(" }\n"))


def test_once_exits_1_naming_a_delivery_left_in_backoff(tmp_path, db_url, cms_server):
    config = office(tmp_path, db_url, cms_server)
    item_id = queue(config, "关于停水的通知")
    cms_server.emulator.faults.add("status", status=503, path="^/api/articles$")
    result = run_cli(config, "run", "--once")
    assert result.exit_code == 1
    assert "failed, tried again after a backoff" in result.stderr and f"#{item_id} cms" in result.stderr


def test_until_settled_goes_through_the_backoff_and_exits_0(tmp_path, db_url, cms_server):
    config = office(tmp_path, db_url, cms_server)
    queue(config, "关于停电的通知")
    cms_server.emulator.faults.add("status", status=503, path="^/api/articles$", times=2)
    result = run_cli(config, "run", "--until-settled", "--max-time", "30")
    assert result.exit_code == 0, result.output + result.stderr
    assert len(cms_server.emulator.live_articles()) == 1 and "remaining" not in result.stderr


def test_batch_runs_are_bounded_by_max_time_against_an_endpoint_that_never_answers(tmp_path, sqlite_url, cms_server):
    config = office(tmp_path, sqlite_url, cms_server, timeout=0.5)
    queue(config, "关于燃气检修的通知")
    cms_server.emulator.faults.add("never_answer", times=1000)
    started = time.monotonic()
    once = run_cli(config, "run", "--once", "--max-time", "2")
    assert time.monotonic() - started < 6  # each request is cut at its timeout
    assert once.exit_code == 1 and "in doubt" in once.stderr
    started = time.monotonic()
    settled = run_cli(config, "run", "--until-settled", "--max-time", "2")
    assert time.monotonic() - started < 6  # 2 s, and the look-up in flight then, bounded by its timeout
    assert settled.exit_code == 1 and "--max-time" in settled.stderr and "in doubt" in settled.stderr


def test_once_exits_1_while_a_stopped_workers_lease_is_left(tmp_path, sqlite_url, cms_server):
    config = office(tmp_path, sqlite_url, cms_server)
    item_id = queue(config, "关于道路施工的通知")
    app = App.from_config(load_config(config))
    try:
        Dispatcher(app, worker_id="killed").claim("cms", 1)  # a daemon took it, then was killed
    finally:
        app.close()
    result = run_cli(config, "run", "--once", "--max-time", "5")
    assert result.exit_code == 1
    assert "leased by a worker that may have stopped" in result.stderr and f"#{item_id} cms" in result.stderr


def test_a_save_that_outlives_its_timeout_makes_one_document_per_item(tmp_path, sqlite_url):
    """The 45-second save against a 30-second timeout, scaled down: each save commits 1.5 timeouts after it arrived,
    on a CMS that never deduplicates."""
    from channel_blocks import domestic_block
    from channels.cms.emulator import DomesticCmsEmulator
    from publisher.sandbox.server import EmulatorServer, wait_until

    with EmulatorServer(DomesticCmsEmulator(key="domestic-test-key", save_seconds=1.5)) as server:
        config = write_config(tmp_path, sqlite_url, {"portal": domestic_block(server.url, timeout=1.0)},
                              retry=FAST_RETRY)
        for n in range(3):
            queue(config, f"关于第{n + 1}批保障房分配的公示")
        result = run_cli(config, "run", "--until-settled", "--max-time", "30")
        assert result.exit_code == 0, result.output + result.stderr
        assert wait_until(server.emulator.idle, timeout=10)  # every save sent has committed
        assert len(server.emulator.live_docs()) == 3  # not one more: the look-up waited for the slow save
