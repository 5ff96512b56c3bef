"""Commands that only read the ledger load no channel's HTTP, HTML or feed libraries (issue 13: `tally` ≤ 2 s)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import write_config

#: (a WeChat cover colour is checked with Pillow's ImageColor, and a trading site's CSS selectors with soupsieve,
#: which loads bs4: those checks are part of reading the configuration, so the trading site is left out here)
HEAVY = ("bs4", "requests", "urllib3", "feedgen", "lxml", "publisher.gate.gate")

PROBE = """
import json, sys
from publisher.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "loaded": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


@pytest.fixture
def config(tmp_path):
    blocks = {
        "website": {"type": "cms", "base_url": "http://127.0.0.1:9", "auth_token": "t"},
        "wechat": {"type": "wechat", "api_base": "http://127.0.0.1:9", "appid": "wx1", "secret": "s",
                   "cover_color": "#1f4e8c"},
        "wordpress": {"type": "wordpress", "base_url": "http://127.0.0.1:9", "username": "u", "app_password": "p"},
        "feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"},
    }
    return write_config(tmp_path, f"sqlite:///{tmp_path / 'publisher.db'}", blocks)


def run(config, *args) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, "--config", str(config), *args], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["tally", "--year", "2019"], ["queue", "list"], ["channel", "list"]])
def test_a_read_only_command_loads_no_channel_library(config, args):
    result = run(config, *args)
    assert result["code"] in (0, None)
    assert result["loaded"] == []


def test_a_command_that_publishes_still_loads_them(config):
    result = run(config, "queue", "add", "--title", "关于开展安全检查的通知", "--category", "公示公告",
                 "--body", "<p>正文</p>")
    assert result["code"] in (0, None)
    assert "publisher.gate.gate" in result["loaded"]  # the gate checked the body before it was queued
