"""The CLI speaks Chinese by default and English on request; the compiled catalogue matches its source (issue 12)."""

from __future__ import annotations

import gettext
import io
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher.cli.main import main
from publisher.foundation.i18n import LOCALE_DIR, language

PUBLISHER = str(Path(sys.executable).with_name("publisher"))


def run(lang_env: dict, *args):
    env = {"PUBLISHER_LANG": None, "LANG": None, "LC_ALL": None, "LC_MESSAGES": None, **lang_env}
    return CliRunner().invoke(main, list(args), env=env)


@pytest.mark.parametrize("env, expected", [
    ({}, "zh_CN"), ({"LANG": "C.UTF-8"}, "zh_CN"), ({"LANG": "en_US.UTF-8"}, "en"), ({"PUBLISHER_LANG": "en"}, "en"),
    ({"LANG": "en_GB.UTF-8", "PUBLISHER_LANG": "zh_CN"}, "zh_CN"), ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US"}, "zh_CN"),
])
def test_the_language_is_chinese_unless_english_is_asked_for(monkeypatch, env, expected):
    for name in ("PUBLISHER_LANG", "LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert language() == expected


def test_an_error_in_chinese_and_in_english(tmp_path):
    missing = str(tmp_path / "nope.yaml")
    chinese = run({}, "--config", missing, "queue", "list")
    english = run({"PUBLISHER_LANG": "en"}, "--config", missing, "queue", "list")
    assert chinese.exit_code == english.exit_code == 2
    assert "错误：配置有误" in chinese.stderr and "找不到文件" in chinese.stderr
    assert "error: invalid configuration" in english.stderr and "file not found" in english.stderr


def test_help_in_chinese_and_in_english():
    chinese = run({}, "queue", "add", "--help")
    english = run({"LANG": "en_US.UTF-8"}, "queue", "add", "--help")
    assert "用法：" in chinese.stdout and "将一条信息加入队列" in chinese.stdout and "[必填]" in chinese.stdout
    assert "Usage:" in english.stdout and "Queue one item" in english.stdout and "[required]" in english.stdout


def test_a_usage_error_is_chinese_too():
    result = run({}, "item", "show", "abc")
    assert result.exit_code == 2 and "的值无效" in result.stderr


def test_the_installed_command_speaks_chinese_by_default(tmp_path):
    done = subprocess.run([PUBLISHER, "--config", str(tmp_path / "nope.yaml"), "tally", "--year", "2019"],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and "找不到文件" in done.stderr


def test_the_compiled_catalogue_matches_the_po_file():
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    folder = LOCALE_DIR / "zh_CN" / "LC_MESSAGES"
    with open(folder / "publisher.po", "rb") as fh:
        catalogue = read_po(fh, locale="zh_CN", domain="publisher")
    fresh = io.BytesIO()
    write_mo(fresh, catalogue)
    fresh.seek(0)
    with open(folder / "publisher.mo", "rb") as fh:
        committed = gettext.GNUTranslations(fh)
    messages = lambda t: {k: v for k, v in t._catalog.items() if k != ""}  # noqa: E731 (the header names Babel's version)
    assert messages(gettext.GNUTranslations(fresh)) == messages(committed), "run .ci/i18n and commit the .mo"
