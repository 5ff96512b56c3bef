"""`publisher check-config` and config validation, the way a user meets them: through the CLI."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, write_config
from publisher.config.load import load_config

SECRET = "s3cr3t-token-value-9f8e"


def cli(*args: str, env: dict | None = None):
    """Run the CLI in-process with ARGS alone; fail loudly if a user mistake produced a traceback."""
    return run_cli(None, *args, env=env)


def channels(**overrides) -> dict:
    """A website (cms) and an RSS mirror; ``overrides`` replace or add channel blocks."""
    blocks = {
        "website": {"type": "cms", "display_name": "测试网站平台", "base_url": "http://127.0.0.1:9",
                    "auth_token": "${CMS_TOKEN}"},
        "feed": {"type": "rss", "output": "feed.xml", "site_url": "http://www.example.gov.cn",
                 "count_in_report": False},
    }
    blocks.update(overrides)
    return blocks


@pytest.fixture
def env():
    """The environment a working config needs (the CMS token is a secret from the environment)."""
    return {"CMS_TOKEN": SECRET, "PUBLISHER_CONFIG": None}


def test_good_config_passes(tmp_path, sqlite_url, env):
    path = write_config(tmp_path, sqlite_url, channels())
    result = cli("--config", str(path), "check-config", env=env)
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "website" in result.output
    assert SECRET not in result.output
    data = json.loads(cli("--config", str(path), "check-config", "--json", env=env).stdout)
    assert data["ok"] is True and data["channels"] == {"website": "cms", "feed": "rss"}


def test_config_path_from_environment_variable(tmp_path, sqlite_url, env):
    path = write_config(tmp_path, sqlite_url, channels())
    result = cli("check-config", env={**env, "PUBLISHER_CONFIG": str(path)})
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("change, expected", [
    (dict(bogus=1), ["bogus: unknown key"]),
    (dict(blocks=channels(website={"type": "cms", "base_url": "http://127.0.0.1:9", "colour": "red"})),
     ["channels.website.colour: unknown key"]),
    (dict(retry={"max_attempts": "many"}), ["retry.max_attempts:", "integer"]),
    (dict(blocks=channels(fb={"type": "facebook"})), ["channels.fb.type: unknown channel type 'facebook'", "cms"]),
    (dict(routing={"default": ["website", "nowhere"]}), ["routing.default[1]: channel 'nowhere' is not defined"]),
    (dict(routing={"default": ["website"], "不存在": ["feed"]}), ["routing.不存在: not a configured category"]),
    (dict(office={"name": "测试局", "timezone": "Mars/Olympus_Mons"}), ["office.timezone:", "Mars/Olympus_Mons"]),
    (dict(blocks=channels(website={"type": "cms"})), ["channels.website.base_url: required"]),
    (dict(database={"url": "oracle-ish nonsense"}), ["database.url:", "sqlite:///"]),
    (dict(categories="水质检测"), ["categories:"]),
], ids=["top-level-key", "channel-key", "wrong-type", "channel-type", "routing-channel", "routing-category",
        "timezone", "missing-key", "database-url", "categories-type"])
def test_each_problem_is_named_by_key_path(tmp_path, sqlite_url, env, change, expected):
    change = dict(change)
    path = write_config(tmp_path, sqlite_url, change.pop("blocks", channels()), **change)
    result = cli("--config", str(path), "check-config", env=env)
    assert result.exit_code == 2, result.output
    for text in expected:
        assert text in result.stderr
    assert SECRET not in result.output


def test_every_problem_is_listed_at_once(tmp_path, sqlite_url, env):
    blocks = channels(website={"type": "cms", "base_url": "http://127.0.0.1:9", "auth_token": "${CMS_TOKEN}",
                               "colour": "red"},
                      fb={"type": "facebook"},
                      wx={"type": "rss", "output": "wx.xml", "site_url": "${WX_SITE}"})
    path = write_config(tmp_path, sqlite_url, blocks, bogus=1, retry={"max_attempts": "many"},
                        office={"timezone": "Mars/Olympus_Mons"},
                        routing={"default": ["website", "nowhere"], "不存在": ["feed"]})
    result = cli("--config", str(path), "check-config", env={**env, "WX_SITE": None})
    assert result.exit_code == 2
    for text in ("bogus: unknown key", "retry.max_attempts:", "office.timezone:",
                 "channels.website.colour: unknown key", "channels.fb.type: unknown channel type",
                 "channels.wx.site_url: environment variable WX_SITE is not set",
                 "routing.default[1]: channel 'nowhere'", "routing.不存在: not a configured category"):
        assert text in result.stderr, text
    data = json.loads(cli("--config", str(path), "check-config", "--json", env={**env, "WX_SITE": None}).stdout)
    assert data["ok"] is False and len(data["problems"]) == 8


def test_unset_secret_names_key_and_variable_without_leaking_other_secrets(tmp_path, sqlite_url, env):
    blocks = channels(resource={"type": "cms", "display_name": "公共资源交易中心网站", "base_url": "http://127.0.0.1:9",
                                "auth_token": "${RESOURCE_TOKEN}"})
    path = write_config(tmp_path, sqlite_url, blocks)
    result = cli("--config", str(path), "check-config", env={**env, "RESOURCE_TOKEN": None})
    assert result.exit_code == 2
    assert "channels.resource.auth_token: environment variable RESOURCE_TOKEN is not set" in result.stderr
    assert SECRET not in result.output
    assert "website" not in result.stderr  # the channel whose secret is set is not a problem


def test_env_default_is_used_when_variable_unset(tmp_path, sqlite_url, env):
    blocks = channels(website={"type": "cms", "base_url": "${CMS_URL:-http://127.0.0.1:8701}",
                               "auth_token": "${CMS_TOKEN:-sandbox-cms-token}"})
    path = write_config(tmp_path, sqlite_url, blocks)
    unset = {"CMS_TOKEN": None, "CMS_URL": None, "PUBLISHER_CONFIG": None}
    assert cli("--config", str(path), "check-config", env=unset).exit_code == 0
    cfg = load_config(path, env={})
    assert cfg.channels["website"].base_url == "http://127.0.0.1:8701"
    assert cfg.channels["website"].auth_token.get_secret_value() == "sandbox-cms-token"
    assert load_config(path, env={"CMS_URL": "http://10.0.0.1"}).channels["website"].base_url == "http://10.0.0.1"


def test_invalid_yaml_names_the_line(tmp_path, env):
    path = tmp_path / "config.yaml"
    path.write_text("office:\n  name: 测试局\n categories: [a\nchannels: {}\n", encoding="utf-8")
    result = cli("--config", str(path), "check-config", env=env)
    assert result.exit_code == 2
    assert "line 3" in result.stderr and "not valid YAML" in result.stderr


def test_missing_file(tmp_path, env):
    result = cli("--config", str(tmp_path / "nope.yaml"), "check-config", env=env)
    assert result.exit_code == 2
    assert "file not found" in result.stderr and "nope.yaml" in result.stderr


def test_not_a_mapping(tmp_path, env):
    path = tmp_path / "config.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    result = cli("--config", str(path), "check-config", env=env)
    assert result.exit_code == 2 and "mapping" in result.stderr


@pytest.mark.parametrize("args", [
    ["queue", "list"], ["queue", "list", "--json"], ["run", "--once"], ["item", "show", "1"],
    ["queue", "add", "--title", "测试", "--category", "其他"], ["tally", "--year", "2019"],
    ["report", "--year", "2019"], ["channel", "list"], ["item", "retract", "1"],
])
def test_every_command_refuses_a_bad_config_with_the_same_message(tmp_path, sqlite_url, env, args):
    path = write_config(tmp_path, sqlite_url, channels(fb={"type": "facebook"}), bogus=1)
    expected = cli("--config", str(path), "check-config", env=env)
    assert expected.exit_code == 2
    result = cli("--config", str(path), *args, env=env)
    assert result.exit_code == 2
    assert result.stderr == expected.stderr
    assert result.stdout == ""
    assert not (tmp_path / "publisher.db").exists()  # refused before opening the database
