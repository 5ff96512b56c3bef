"""Every class of bad input the 380-case sweep found ends in a named error with exit 2 — never a traceback, never
silently accepted, never half-written state, never a secret in the message (issue 12, parts 3–5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import write_config
from publisher.cli.main import main

PASSWORD = "hunter2-Pa55"


class Office:
    """A config with a local RSS feed and a CMS website (never contacted); the CLI run in-process."""

    def __init__(self, tmp_path: Path, **extra):
        self.dir = tmp_path
        blocks = extra.pop("blocks", None) or {
            "website": {"type": "cms", "base_url": "http://127.0.0.1:9", "auth_token": "t0ken-value"},
            "feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"},
        }
        self.db = tmp_path / "publisher.db"
        self.config = write_config(tmp_path, f"sqlite:///{self.db}", blocks, **extra)

    def cli(self, *args: str, env: dict | None = None):
        result = CliRunner().invoke(main, ["--config", str(self.config), *args],
                                    env={"PUBLISHER_CONFIG": None, **(env or {})})
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    def refused(self, *args: str, env: dict | None = None) -> str:
        result = self.cli(*args, env=env)
        assert result.exit_code == 2, result.output
        return result.stderr

    def raw_config(self, text: str) -> None:
        self.config.write_text(text, encoding="utf-8")

    def edit_config(self, change) -> None:
        doc = yaml.safe_load(self.config.read_text(encoding="utf-8"))
        change(doc)
        self.config.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")

    def file(self, name: str, data: bytes | str) -> str:
        path = self.dir / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return str(path)

    def blobs(self) -> list[Path]:
        root = self.dir / "attachments"
        return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def office(tmp_path) -> Office:
    return Office(tmp_path)


# -- durations and numbers --------------------------------------------------------------------------------------
@pytest.mark.parametrize("section, key, value", [
    ("retry", "max_age", "99999999999d"), ("retry", "lease", "P99999999999W"), ("retry", "base_delay", ".inf"),
    ("retry", "max_delay", ".nan"), ("daemon", "poll_interval", ".inf"), ("retry", "in_doubt_delay", "1e999"),
])
def test_a_duration_that_overflows_or_is_not_finite_is_named(office, section, key, value):
    office.edit_config(lambda d: d.setdefault(section, {}).update({key: "PLACEHOLDER"}))
    office.raw_config(office.config.read_text(encoding="utf-8").replace("PLACEHOLDER", value))
    assert f"{section}.{key}:" in office.refused("check-config")


def test_a_channel_timeout_of_infinity_is_named(office):
    office.edit_config(lambda d: d["channels"]["website"].update(timeout="PLACEHOLDER"))
    office.raw_config(office.config.read_text(encoding="utf-8").replace("PLACEHOLDER", ".inf"))
    assert "channels.website.timeout:" in office.refused("check-config")


# -- YAML that is too big, too deep or ambiguous ----------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("a: &a [*a]\n", "nested deeper"),
    ("x: " + "[" * 20000 + "]" * 20000 + "\n", "nested deeper"),
    ("a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
     "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
     "g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n", "expands to more than"),
    ("categories: [a]\ncategories: [b]\nchannels: {}\n", "line 2: duplicate key 'categories'"),
], ids=["recursive", "deep", "alias-bomb", "duplicate-key"])
def test_hostile_yaml_is_refused_by_name(office, text, expected):
    office.raw_config(text)
    assert expected in office.refused("check-config")


def test_a_config_that_never_ends_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["--config", "/dev/zero", "check-config"], env={"PUBLISHER_CONFIG": None})
    assert result.exit_code == 2 and "larger than" in result.stderr


def test_an_unclosed_variable_is_named(office):
    office.edit_config(lambda d: d["channels"]["website"].update(auth_token="${CMS_TOKEN"))
    assert "channels.website.auth_token: unclosed" in office.refused("check-config")


# -- database URLs ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("url, expected", [
    ("sqlite://", "in memory"), ("mysql://u@h/db", "unsupported database 'mysql'"),
    ("postgresql+asyncpg://u@h/db", "unsupported PostgreSQL driver"), ("sqlite+nonsense:///x.db", "SQLite driver"),
    ("nonsense", "not a database URL"),
])
def test_a_database_url_that_cannot_be_opened_is_named(office, url, expected):
    office.edit_config(lambda d: d["database"].update(url=url))
    stderr = office.refused("queue", "list")
    assert "database.url:" in stderr and expected in stderr


def test_a_password_in_the_database_url_is_never_shown(office):
    office.edit_config(lambda d: d["database"].update(url=f"mysql://editor:{PASSWORD}@db.example/x"))
    stderr = office.refused("check-config")
    assert PASSWORD not in stderr


# -- ids, ports, URLs given on the command line ------------------------------------------------------------------
@pytest.mark.parametrize("args", [["item", "show", "99999999999999999999"], ["item", "retry", "-1"],
                                  ["review", "show", "18446744073709551616"]])
def test_an_id_beyond_64_bits_is_named(office, args):
    assert "ITEM_ID" in office.refused(*args) or "range" in office.refused(*args)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "/notice/118.jsp", "ftp://h/x", "http://", "http://h:99999/"])
def test_settle_takes_only_an_absolute_http_url(office, url):
    assert "--url" in office.refused("item", "settle", "1", "--channel", "website", "--url", url)


def test_a_sandbox_port_out_of_range_is_named(office):
    assert "--port-base" in office.refused("sandbox", "--port-base", "70000")


def test_a_sandbox_port_in_use_is_named(office):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        stderr = office.refused("sandbox", "--port-base", str(port))
    assert "cannot listen" in stderr and "--port-base" in stderr


# -- values check-config must find -----------------------------------------------------------------------------
@pytest.mark.parametrize("block, key", [
    ({"type": "wordpress", "base_url": "www.example.gov.cn", "username": "u", "app_password": "p"}, "base_url"),
    ({"type": "cms", "base_url": "http://www.example.gov.cn:99999", "auth_token": "t"}, "base_url"),
    ({"type": "resource_site", "base_url": "http://h", "username": "u", "password": "p",
      "login": {"url": "/login", "fields": {"username": "u", "password": "p"}},
      "submit": {"form_url": "/add", "fields": {"title": "t", "body": "b"}, "success_text": "ok"},
      "listing": {"url": "/list?page={page}", "item_selector": "ul > > li"}}, "listing.item_selector"),
])
def test_check_config_finds_values_an_adapter_cannot_use(tmp_path, block, key):
    office = Office(tmp_path, blocks={"site": block})
    assert f"channels.site.{key}:" in office.refused("check-config")


def test_a_validator_never_quotes_a_value_from_the_environment(office):
    office.edit_config(lambda d: d["office"].update(timezone="${TZ_NAME}"))
    stderr = office.refused("check-config", env={"TZ_NAME": PASSWORD})
    assert "office.timezone:" in stderr and PASSWORD not in stderr


# -- import files -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, data, expected", [
    ("dup.jsonl", '{"title": "一", "title": "二", "category": "其他"}\n', "duplicate key 'title'"),
    ("nan.jsonl", '{"title": NaN, "category": "其他"}\n', "NaN is not a value"),
    ("big.jsonl", '{"title": 1e999, "category": "其他"}\n', "too large a number"),
    ("dup.csv", "title,category,title\n一,其他,二\n", "title appear more than once"),
], ids=["jsonl-duplicate-key", "nan", "1e999", "csv-duplicate-column"])
def test_an_ambiguous_import_is_refused(office, name, data, expected):
    stderr = office.refused("queue", "import", office.file(name, data))
    assert expected in stderr
    assert office.cli("queue", "list", "--json").stdout.strip() == "[]"


def test_an_import_lists_every_bad_row_and_queues_nothing(office):
    rows = [{"title": "好", "category": "其他"}, {"title": "", "category": "其他"}, {"title": "好二", "category": "无"},
            {"title": "好三", "category": "其他", "at": "tomorrow"}]
    stderr = office.refused("queue", "import", office.file("rows.jsonl", "\n".join(json.dumps(r, ensure_ascii=False)
                                                                                 for r in rows) + "\n"))
    assert "3 bad row(s)" in stderr
    for line in ("line 2: title: required", "line 3: category: unknown", "line 4: at:"):
        assert line in stderr
    assert office.cli("queue", "list", "--json").stdout.strip() == "[]"


def test_an_xlsx_import_is_read_like_a_csv(office):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["title", "category", "channels"])
    sheet.append(["关于开展安全检查的通知", "公示公告", "feed"])
    sheet.append(["机构概况说明", "机构概况", "feed"])
    book.save(office.dir / "items.xlsx")
    result = office.cli("queue", "import", str(office.dir / "items.xlsx"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["count"] == 2


# -- bodies, images, options, times -----------------------------------------------------------------------------
def test_a_latin1_body_is_refused_unless_its_encoding_is_given(office):
    body = office.file("notice.txt", "Avis: réunion à la mairie, café offert à l'élève.".encode("latin-1"))
    stderr = office.refused("queue", "add", "--title", "通知", "--category", "其他", "--body-file", body)
    assert "--encoding" in stderr
    result = office.cli("queue", "add", "--title", "通知", "--category", "其他", "--body-file", body,
                        "--encoding", "latin-1", "--json")
    assert result.exit_code == 0, result.output


def test_utf16_without_bom_is_called_utf16_not_binary(office):
    body = office.file("notice.txt", "通知 2019\r\n".encode("utf-16-le"))
    stderr = office.refused("queue", "add", "--title", "通知", "--category", "其他", "--body-file", body)
    assert "UTF-16-LE" in stderr and "binary" not in stderr


def test_an_image_that_is_not_one_is_refused(office):
    fake = office.file("photo.jpg", b"<html>not a picture</html>")
    stderr = office.refused("queue", "add", "--title", "通知", "--category", "其他", "--attach", fake)
    assert "photo.jpg" in stderr and "not one" in stderr
    office.file("fake.png", b"MZ\x90\x00 executable")
    body = office.file("body.html", '<p>图</p><img src="fake.png">')
    assert "fake.png" in office.refused("queue", "add", "--title", "通知", "--category", "其他", "--body-file", body)
    assert office.blobs() == []


def test_an_unknown_option_key_is_named(office):
    stderr = office.refused("queue", "add", "--title", "通知", "--category", "其他", "--channel", "feed",
                            "--option", "feed.titel=短标题")
    assert "feed.titel is not an option of channel feed" in stderr


def test_a_time_in_a_dst_gap_says_which_time_it_would_be(tmp_path):
    office = Office(tmp_path, office={"name": "测试局", "timezone": "America/New_York"})
    stderr = office.refused("queue", "add", "--title", "通知", "--category", "其他", "--at", "2019-03-10T02:30")
    assert "does not exist in America/New_York" in stderr and "2019-03-10 03:30" in stderr


def test_a_failed_queue_add_leaves_no_blob(office):
    picture = office.file("a.gif", b"GIF89a" + b"\x00" * 20)
    office.edit_config(lambda d: d["limits"].update(title_max=1000) if "limits" in d else d.update(limits={}))
    stderr = office.refused("queue", "add", "--title", "长" * 1001, "--category", "其他", "--attach", picture)
    assert "title" in stderr
    assert office.blobs() == []


def test_credentials_in_a_url_are_scrubbed_from_errors(office):
    stderr = office.refused("item", "settle", "1", "--channel", "website", "--url", f"http://editor:{PASSWORD}@h/a b")
    assert PASSWORD not in stderr


def test_scrub_removes_url_credentials_and_named_secrets():
    from publisher.foundation.redact import scrub

    text = scrub(f"GET https://editor:{PASSWORD}@cms.example/api failed; token {PASSWORD}", [PASSWORD])
    assert PASSWORD not in text and "https://***@cms.example/api" in text
