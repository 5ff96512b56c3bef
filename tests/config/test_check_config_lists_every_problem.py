"""``check-config`` names every mistake of a channel block, not the first one only."""

from __future__ import annotations

from conftest import run_cli, write_config


def test_every_mistake_of_one_block_is_named(tmp_path):
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", {
        "wx": {"type": "wechat", "appid": "wx1", "secret": "s", "cover_color": "not-a-colour", "max_polls": 99,
               "author": "x" * 40, "image_hosts": "not-a-list", "bogus": 1},
        "site": {"type": "cms", "base_url": "javascript:alert(1)", "timeout": "soon", "auth_token": "t"}})
    result = run_cli(config, "check-config", env={"PUBLISHER_LANG": "en"})
    assert result.exit_code == 2
    for key in ("wx.cover_color", "wx.max_polls", "wx.author", "wx.image_hosts", "wx.bogus", "site.base_url",
                "site.timeout"):
        assert f"channels.{key}" in result.stderr, (key, result.stderr)
