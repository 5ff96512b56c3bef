"""Office documents into an item's body: tables with merged header cells, numbering and bold/italic survive the
conversion, the sanitiser and every channel; old formats go through LibreOffice; hostile files are refused by
the limits, in seconds, with the limit named."""

from __future__ import annotations

import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from document_samples import NOTICE_TITLE, bomb_docx, gbk_rtf, gongshi_docx, soffice_convert, table_cells

HAS_SOFFICE = bool(shutil.which("soffice") or shutil.which("libreoffice"))
needs_soffice = pytest.mark.skipif(not HAS_SOFFICE, reason="LibreOffice (soffice) is not installed")


def cells(html: str) -> int:
    return len(re.findall(r"<t[dh][\s>]", html))


def converted(tmp_path: Path, data: bytes, name: str, **kwargs):
    from publisher.items.documents.convert import convert

    work = tmp_path / f"work-{len(list(tmp_path.iterdir()))}"
    work.mkdir()
    source = work / ("upload" + Path(name).suffix)
    source.write_bytes(data)
    return convert(source, name, work, **kwargs)


def test_a_gongshi_keeps_its_merged_header_its_30_rows_and_drops_the_repeated_title(tmp_path):
    done = converted(tmp_path, gongshi_docx(), "公示.docx", title=NOTICE_TITLE)
    assert done.title_dropped and NOTICE_TITLE not in done.html
    assert cells(done.html) == table_cells()
    assert '<th rowspan="2">' in done.html and '<th colspan="3">' in done.html  # the header row, as header cells
    assert done.images == ["image-1.png"] and (done.folder / "image-1.png").is_file()


def test_a_first_heading_other_than_the_title_stays(tmp_path):
    done = converted(tmp_path, gongshi_docx(), "公示.docx", title="另一个标题")
    assert not done.title_dropped and NOTICE_TITLE in done.html


def test_numbered_items_and_bold_and_italic_survive(tmp_path):
    done = converted(tmp_path, gongshi_docx(), "公示.docx")
    assert re.search(r"<ol>\s*<li><strong>公示期：</strong><em>2019年6月1日至6月7日</em></li>", done.html)
    assert done.html.count("<li>") == 2


def test_the_gongshi_table_reaches_every_channel_with_all_its_cells(make_app, sqlite_url, tmp_path, clock):
    """docx → sanitiser → queue → the portal CMS, WordPress, WeChat, the RSS feed and the trading site (GBK form)."""
    from channels.cms.emulator import CmsEmulator
    from channels.resource_site.emulator import ResourceSiteEmulator
    from channels.wechat.emulator import WechatEmulator
    from channels.wordpress.emulator import WordpressEmulator
    from publisher.delivery.dispatcher import Dispatcher
    from publisher.items.intake import ItemRequest, queue_one
    from publisher.sandbox.server import EmulatorServer

    from channel_blocks import WP_APP_PASSWORD, wp_config
    from conftest import SITE_PASSWORD, cms_block, site_block

    done = converted(tmp_path, gongshi_docx(picture=False), "公示.docx", title=NOTICE_TITLE)
    expected = table_cells()
    feed = tmp_path / "feed.xml"
    with EmulatorServer(CmsEmulator(token="test-cms-token")) as cms, \
            EmulatorServer(WordpressEmulator(app_password=WP_APP_PASSWORD, clock=clock)) as wp, \
            EmulatorServer(WechatEmulator(appid="wxsandbox0000000001", secret="sandbox-wechat-secret",
                                          clock=clock)) as wechat, \
            EmulatorServer(ResourceSiteEmulator(password=SITE_PASSWORD)) as site:
        app = make_app(sqlite_url, {
            "website": cms_block(cms), "wp": wp_config(wp.url), "site": site_block(site),
            "wechat": {"type": "wechat", "api_base": wechat.url, "appid": "wxsandbox0000000001",
                       "secret": "sandbox-wechat-secret", "cover_color": "#1f4e8c", "timeout": 5},
            "feed": {"type": "rss", "output": str(feed), "site_url": cms.url, "count_in_report": False}})
        item_id = queue_one(app, ItemRequest(title=NOTICE_TITLE, category="公示公告", body=done.html,
                                             channels=["website", "wp", "site", "wechat", "feed"],
                                             options={"wechat": {"title": "审核结果公示"}}))
        Dispatcher(app).run_due()
        states = {d["channel"]: (d["status"], d.get("last_error")) for d in app.store.get_item(item_id)["deliveries"]}
        assert {c: s for c, (s, _) in states.items()} == dict.fromkeys(states, "published"), states
        bodies = {"portal": cms.emulator.live_articles()[0]["content"],
                  "wordpress": str(next(iter(wp.emulator.posts.values()))["content"]),
                  "wechat": wechat.emulator.live_articles()[0].news_item[0]["content"],
                  "site": site.emulator.live_notices()[0].content,
                  "feed": feed.read_text(encoding="utf-8").replace("&lt;", "<").replace("&gt;", ">")}
    for channel, body in bodies.items():
        assert cells(body) == expected, (channel, cells(body))
        assert "colspan" in body and "rowspan" in body and "<th" in body, channel
        assert "申请人30" in body, channel
    assert 'style="border:1px solid' in bodies["wechat"]  # WeChat keeps no style sheet: the borders are inline


@needs_soffice
def test_a_gbk_era_document_converts_with_its_chinese_text(tmp_path):
    text = "关于做好二〇〇五年度住房公积金年度结算工作的通知"
    rtf = tmp_path / "old" / "通知.rtf"
    rtf.parent.mkdir()
    rtf.write_bytes(gbk_rtf(text))
    assert converted(tmp_path, rtf.read_bytes(), "通知.rtf").html.count(text) == 1  # WPS-style RTF, code page 936
    doc = soffice_convert(rtf, "doc:MS Word 97", rtf.parent)
    assert text in converted(tmp_path, doc.read_bytes(), "通知.doc").html


@needs_soffice
def test_a_doc_keeps_its_table_numbering_and_emphasis(tmp_path):
    source = tmp_path / "old" / "公示.docx"
    source.parent.mkdir()
    source.write_bytes(gongshi_docx(rows=10))
    doc = soffice_convert(source, "doc:MS Word 97", source.parent)
    done = converted(tmp_path, doc.read_bytes(), "公示.doc", title=NOTICE_TITLE)
    assert done.title_dropped
    assert cells(done.html) == table_cells(10)
    assert "<strong>公示期：</strong>" in done.html and "<em>2019年6月1日至6月7日</em>" in done.html
    assert len(done.images) == 1


def test_without_libreoffice_an_old_document_names_the_package(tmp_path, monkeypatch):
    from publisher.errors import InputError
    from publisher.items.documents import legacy

    monkeypatch.setattr(legacy, "soffice", lambda: None)
    with pytest.raises(InputError) as refused:
        converted(tmp_path, b"\xd0\xcf\x11\xe0", "旧通知.wps")
    assert "libreoffice-writer-nogui" in str(refused.value) and ".wps" in str(refused.value)


def test_a_paragraph_bomb_is_refused_in_seconds_naming_the_paragraph_limit(tmp_path):
    from publisher.errors import InputError

    data = bomb_docx()
    assert len(data) < 100_000
    started = time.monotonic()
    with pytest.raises(InputError) as refused:
        converted(tmp_path, data, "bomb.docx")
    assert time.monotonic() - started < 5
    assert "paragraph" in str(refused.value) or "段落" in str(refused.value)


def test_a_zip_bomb_is_refused_naming_the_uncompressed_size(tmp_path):
    from publisher.errors import InputError
    from publisher.foundation.office_files import DocumentLimits

    data = _with_member(gongshi_docx(), "word/media/padding.bin", b"\0" * 3_000_000)
    with pytest.raises(InputError) as refused:
        converted(tmp_path, data, "bomb.docx", limits=DocumentLimits(max_unpacked_bytes=2_000_000))
    assert "uncompressed" in str(refused.value) or "解压" in str(refused.value)


def test_too_many_pictures_are_refused_naming_the_image_count(tmp_path):
    from publisher.errors import InputError
    from publisher.foundation.office_files import DocumentLimits

    with pytest.raises(InputError) as refused:
        converted(tmp_path, gongshi_docx(), "公示.docx", limits=DocumentLimits(max_images=0))
    assert "image" in str(refused.value) or "图片" in str(refused.value)


def test_a_conversion_past_its_memory_limit_is_stopped_and_named(tmp_path):
    from publisher.errors import InputError
    from publisher.foundation.office_files import DocumentLimits

    with pytest.raises(InputError) as refused:
        converted(tmp_path, gongshi_docx(), "公示.docx", limits=DocumentLimits(memory_bytes=40_000_000))
    assert "MB" in str(refused.value)


def test_a_conversion_past_its_time_limit_is_stopped_and_named(tmp_path):
    from publisher.errors import InputError
    from publisher.foundation.office_files import DocumentLimits

    started = time.monotonic()
    with pytest.raises(InputError) as refused:
        converted(tmp_path, bomb_docx(45_000, "<w:p><w:r><w:t>公示内容</w:t></w:r></w:p>".encode()), "长文.docx",
                  limits=DocumentLimits(seconds=1))
    assert time.monotonic() - started < 15
    assert " 1 " in str(refused.value)


def _with_member(docx: bytes, name: str, data: bytes) -> bytes:
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr(name, data)
    return out.getvalue()
