"""A channel's secret is needed only by commands that talk to that channel (issue 12, part 2)."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, write_config


@pytest.fixture
def config(tmp_path):
    blocks = {
        "website": {"type": "cms", "base_url": "http://127.0.0.1:9", "auth_token": "${CMS_TOKEN}"},
        "wordpress": {"type": "wordpress", "base_url": "http://127.0.0.1:9", "username": "u",
                      "app_password": "${WP_APP_PASSWORD}"},
        "feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"},
    }
    return write_config(tmp_path, f"sqlite:///{tmp_path / 'publisher.db'}", blocks,
                        routing={"default": ["feed"], "公示公告": ["website", "feed"]})


def cli(config, *args):
    return run_cli(config, *args, env={"CMS_TOKEN": None, "WP_APP_PASSWORD": None})


@pytest.mark.parametrize("args", [["tally", "--year", "2019"], ["report", "--year", "2019"], ["queue", "list"],
                                  ["check-config", "--offline"], ["channel", "list"]])
def test_commands_that_do_not_talk_to_a_channel_run_without_its_secret(config, args):
    result = cli(config, *args)
    assert result.exit_code == 0, result.output


def test_queue_add_and_item_show_run_without_the_secret(config):
    added = cli(config, "queue", "add", "--title", "关于开展安全检查的通知", "--category", "公示公告", "--json")
    assert added.exit_code == 0, added.output
    item_id = json.loads(added.stdout)["id"]
    shown = cli(config, "item", "show", str(item_id), "--json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["id"] == item_id


def test_check_config_still_reports_unset_secrets(config):
    result = cli(config, "check-config")
    assert result.exit_code == 2
    assert "channels.website.auth_token: environment variable CMS_TOKEN is not set" in result.stderr
    assert "channels.wordpress.app_password: environment variable WP_APP_PASSWORD is not set" in result.stderr


def test_a_command_that_talks_to_one_channel_names_that_channels_secret_only(config):
    result = cli(config, "reconcile", "--channel", "website")
    assert result.exit_code == 2
    assert "CMS_TOKEN" in result.stderr and "WP_APP_PASSWORD" not in result.stderr


def test_the_daemon_names_every_missing_secret_before_it_starts(config):
    result = cli(config, "run", "--once")
    assert result.exit_code == 2
    assert "CMS_TOKEN" in result.stderr and "WP_APP_PASSWORD" in result.stderr
