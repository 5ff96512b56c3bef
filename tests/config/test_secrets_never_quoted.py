"""A value that came from ``${…}`` is never quoted by a validator, in Chinese as in English."""

from __future__ import annotations

import pytest

from conftest import run_cli, write_config

SECRET = "hunter2SECRETvalue"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_secret_under_the_wrong_key_is_named_by_key_not_by_value(tmp_path, lang):
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", {
        "wx": {"type": "wechat", "appid": "wx1", "secret": "${WX_SECRET}", "cover_color": "${WX_SECRET}"},
        "feed": {"type": "rss", "output": str(tmp_path / "f.xml"), "site_url": "${WX_SECRET}"}})
    result = run_cli(config, "check-config", env={"WX_SECRET": SECRET, "PUBLISHER_LANG": lang})
    assert result.exit_code == 2
    assert "channels.wx.cover_color" in result.stderr and "channels.feed.site_url" in result.stderr
    assert SECRET not in result.output
