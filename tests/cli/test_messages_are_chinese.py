"""Every message has its Chinese, keeps its placeholders, and messages raised deep in the code reach a Chinese
user in Chinese: a queue refusal, a channel error (live and stored), a report error, the console (issue 12)."""

from __future__ import annotations

import gettext
import json
import re
import importlib.machinery
import importlib.util
import string
from pathlib import Path

import pytest
from sqlalchemy import update

from conftest import run_cli, write_config
from publisher.cli.main import main
from publisher.foundation.i18n import LOCALE_DIR, labelled, shown

ROOT = Path(__file__).resolve().parents[2]
PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "publisher.po"
ZH = gettext.translation("publisher", LOCALE_DIR, languages=["zh_CN"])
CHANNELS = {"website": {"type": "cms", "display_name": "测试网站平台", "base_url": "http://127.0.0.1:9",
                        "auth_token": "t"}}


def catalogue():
    from babel.messages.pofile import read_po

    with open(PO, "rb") as fh:
        return read_po(fh, locale="zh_CN", domain="publisher")


def placeholders(text: str) -> list[tuple[str, str | None, str]]:
    """The ``{name!conversion:spec}`` fields of a str.format template, sorted."""
    return sorted((name, conversion or "", spec) for _literal, name, spec, conversion
                  in string.Formatter().parse(text) if name is not None)


def placeholder_mismatches(entries) -> list[str]:
    """Entries (msgid, msgstr; plurals as tuples) whose msgstr fills other placeholders than its msgid."""
    bad = []
    for msgid, msgstr in entries:
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        strings = msgstr if isinstance(msgstr, tuple) else (msgstr,)
        for text in strings:
            if not text:
                continue
            try:
                ok = placeholders(text) in [placeholders(i) for i in ids]  # one Chinese form serves every n
            except ValueError:
                ok = False
            if not ok:
                bad.append(f"{msgid!r} -> {text!r}")
    return bad


def cli(config: Path, *args: str, lang: str = "zh_CN"):
    return run_cli(config, *args, env={"PUBLISHER_LANG": lang, "LANG": None, "LC_ALL": None, "LC_MESSAGES": None})


# -- the catalogue ----------------------------------------------------------------------------------------------


def test_every_message_in_the_code_has_its_chinese(monkeypatch):
    from publisher.foundation.i18n import localise_help

    monkeypatch.setenv("PUBLISHER_LANG", "en")
    localise_help(main)  # an earlier test may have left the help in Chinese; the extraction reads the English
    spec = importlib.util.spec_from_loader("ci_i18n", importlib.machinery.SourceFileLoader(
        "ci_i18n", str(ROOT / ".ci" / "i18n")))
    extractor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extractor)
    translated = {m.id: m.string for m in catalogue() if m.id}
    untranslated = [m.id for m in extractor.template() if m.id and ours(m) and not (
        all(translated.get(m.id) or ()) if isinstance(m.id, tuple) else translated.get(m.id))]
    assert not untranslated, f"run .ci/i18n and translate: {untranslated[:10]}"


def ours(message) -> bool:
    """A message of publisher's own code or help; click's own texts vary with the installed click, and Babel
    before 2.17 also extracts the key of a call like ``_(row["state"])``, which is not a message."""
    where = message.locations[0][0] if message.locations else ""
    if where.startswith("click/"):
        return False
    first = message.id[0] if isinstance(message.id, tuple) else message.id
    if where.startswith(("publisher/", "channels/")) and first.isidentifier():
        called = re.compile(r"\b(?:_|N_|ngettext)\(\s*" + re.escape(f'"{first}"'))
        return bool(called.search((ROOT / where).read_text(encoding="utf-8")))
    return True


def test_every_translation_keeps_the_placeholders_of_its_message():
    assert placeholder_mismatches((m.id, m.string) for m in catalogue() if m.id) == []


def test_a_translation_with_other_placeholders_is_caught():
    assert placeholder_mismatches([("item {id} was retracted", "信息{item}已撤回")])
    assert placeholder_mismatches([("{name!r} is not configured", "{name} 未配置")])
    assert not placeholder_mismatches([("{count} item(s)", "{count} 条")])


# -- deep messages, shown to a Chinese user ---------------------------------------------------------------------


@pytest.fixture
def office(tmp_path, sqlite_url):
    return write_config(tmp_path, sqlite_url, CHANNELS)


def test_a_queue_refusal_names_the_field_in_chinese(office):
    result = cli(office, "queue", "add", "--title", " ", "--category", "公示公告", "--at", "tomorrow")
    assert result.exit_code == 2
    title = ZH.gettext("{field}: {message}").format(field=ZH.gettext("title"), message=ZH.gettext("required"))
    assert title == "标题：必填" and title in result.stderr
    at = ZH.gettext("{text!r} is not an ISO 8601 time (e.g. 2019-03-10T09:00 or 2019-03-10T09:00+08:00)")
    assert at.format(text="tomorrow") in result.stderr
    english = cli(office, "queue", "add", "--title", " ", "--category", "公示公告", lang="en")
    assert "title: required" in english.stderr


def test_a_channels_configuration_error_is_chinese_in_check_config(tmp_path, sqlite_url):
    config = write_config(tmp_path, sqlite_url, {"website": {**CHANNELS["website"], "base_url": "ftp://x"}})
    result = cli(config, "check-config")
    assert result.exit_code == 2
    assert ZH.gettext("must be an http(s) URL, e.g. https://www.example.gov.cn") in result.stderr


def test_a_channel_error_kept_in_english_is_shown_in_chinese(office):
    from publisher.runtime.app import App
    from publisher.config.load import load_config
    from publisher.db.schema import deliveries

    item_id = int(cli(office, "queue", "add", "--title", "关于公示的通知", "--category", "公示公告",
                      lang="en").stdout.split()[0])
    stored = "HTTP 503 from http://127.0.0.1:9"  # what the daemon keeps: the English of the channel's message
    app = App.from_config(load_config(office))
    try:
        with app.store.engine.begin() as conn:
            conn.execute(update(deliveries).where(deliveries.c.item_id == item_id).values(last_error=stored))
    finally:
        app.close()
    chinese = cli(office, "item", "show", str(item_id))
    expected = ZH.gettext("HTTP {status_code} from {origin}").format(status_code=503, origin="http://127.0.0.1:9")
    assert expected != stored and expected in chinese.stdout
    assert stored in cli(office, "item", "show", str(item_id), lang="en").stdout
    assert stored in cli(office, "item", "show", str(item_id), "--json").stdout  # machine output stays as stored


def test_a_report_error_is_chinese(office):
    result = cli(office, "report", "--year", "2019", "--format", "md", "-o", "report.pdf")
    assert result.exit_code == 2
    message = ZH.gettext("--format {fmt} does not match the extension of -o {output} (use a .{fmt} file or "
                         "--format {implied})").format(fmt="md", output="report.pdf", implied="pdf")
    assert message in result.stderr


def test_stored_english_is_translated_where_shown_and_anything_else_is_left_alone(monkeypatch):
    monkeypatch.setenv("PUBLISHER_LANG", "zh_CN")
    nested = "channel website: title is 40 characters; 测试网站平台 allows 32 (give a short title with --option " \
             "website.title=...)"
    assert shown(nested) == ZH.gettext("channel {name}: {problem}").format(name="website", problem=ZH.gettext(
        "title is {count} characters; {display_name} allows {limit} (give a short title with --option "
        "{name}.title=...)").format(count=40, display_name="测试网站平台", limit=32, name="website"))
    assert shown("connection refused") == "连接被拒绝"
    assert shown("body is empty; WeChat needs article content; the title is empty") == "; ".join(  # joined problems
        (ZH.gettext("body is empty; WeChat needs article content"), ZH.gettext("the title is empty")))
    assert shown("no notice id recorded for 资源网; remove it by hand") == ZH.gettext(  # an empty placeholder
        "no notice id recorded for {display_name}; remove it by hand{where}").format(display_name="资源网", where="")
    assert shown("something no message says") == "something no message says"
    assert shown(None) is None
    monkeypatch.setenv("PUBLISHER_LANG", "en")
    assert shown("connection refused") == "connection refused"


def test_pydantic_errors_are_chinese_by_their_type(monkeypatch):
    from pydantic import BaseModel, Field, ValidationError

    from publisher.foundation.validation_messages import validation_message

    class Form(BaseModel):
        title: str
        per_page: int = Field(default=20, le=200)

    with pytest.raises(ValidationError) as caught:
        Form.model_validate({"per_page": 500})
    errors = {e["loc"][0]: e for e in caught.value.errors()}
    monkeypatch.setenv("PUBLISHER_LANG", "zh_CN")
    assert validation_message(errors["title"]) == ZH.gettext("required")
    assert validation_message(errors["per_page"]) == ZH.gettext("must be at most {le}").format(le=200)
    monkeypatch.setenv("PUBLISHER_LANG", "en")
    assert validation_message(errors["per_page"]) == errors["per_page"]["msg"]  # pydantic's own English


def test_the_consoles_compose_page_names_a_missing_title_in_chinese(make_app, sqlite_url, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from console_helpers import add_staff, cheap_hashing, csrf_of, login
    from publisher.web import create_app

    monkeypatch.setenv("PUBLISHER_LANG", "zh_CN")
    cheap_hashing(monkeypatch)
    app = make_app(sqlite_url, CHANNELS)
    add_staff(app)
    client = TestClient(create_app(app))
    assert login(client, "editor1").status_code == 303
    page = client.post("/compose", data={"csrf_token": csrf_of(client, "/compose"), "title": "", "category": "公示公告",
                                         "body": "<p>公示内容。</p>", "at": "2019-06-01T12:00"}, follow_redirects=False)
    assert page.status_code == 422
    assert labelled("title", ZH.gettext("required")) == "标题：必填"
    assert "<li>标题：必填</li>" in page.text and "title: required" not in page.text


def test_the_gates_findings_say_where_in_chinese(office, tmp_path):
    from openpyxl import Workbook

    body = tmp_path / "body.html"
    body.write_text("<p>公示如下。</p><p>张某某，身份证号320623198503121233。</p>", encoding="utf-8")
    book = Workbook()
    book.active.title = "名单"
    book.active["C7"] = "13812345678"
    sheet = tmp_path / "名单.xlsx"
    book.save(sheet)
    result = cli(office, "check", "--title", "公示", "--body-file", str(body), "--attach", str(sheet))
    assert result.exit_code == 1
    line = ZH.gettext("line {number}").format(number=2)
    cell = ZH.gettext("sheet {sheet} cell {cell}").format(sheet="名单", cell="C7")
    attachment = ZH.gettext("attachment {name}").format(name="名单.xlsx")
    assert f"{ZH.gettext('id_number')}" in result.stdout and ZH.gettext("body") in result.stdout
    assert line in result.stdout and cell in result.stdout and attachment in result.stdout
    english = cli(office, "check", "--title", "公示", "--body-file", str(body), "--attach", str(sheet), "--json",
                  lang="en")
    assert {f["where"] for f in json.loads(english.stdout)["findings"]} == {"line 2", "sheet 名单 cell C7"}
