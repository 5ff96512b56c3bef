"""WordPress as a real 6.x install behaves: REST root from the Link header, plain permalinks, terms and media
deleted in wp-admin, control characters pasted from Word, posts trashed or deleted by hand."""

from __future__ import annotations

import requests
import pytest

from channels.wordpress.adapter import WordpressChannel
from publisher.sandbox.server import EmulatorServer
from channels.wordpress.emulator import WordpressEmulator

from test_wordpress_channel import attachment, ctx, make_item, wp_config


@pytest.fixture
def emulator(clock) -> WordpressEmulator:
    return WordpressEmulator(clock=clock, plain_permalinks=True)


@pytest.fixture
def channel(server, services):
    adapter = WordpressChannel("web", WordpressChannel.Settings(**wp_config(server.url)), services)
    yield adapter
    adapter.close()


def test_a_fresh_install_with_plain_permalinks_works_without_use_rest_route(channel, emulator, server):
    assert requests.get(f"{server.url}/wp-json/wp/v2/posts", timeout=5).status_code == 404
    receipt = channel.publish(make_item(), ctx())
    assert emulator.posts[int(receipt.external_id)]["title"] == "关于2019年度水质检测结果的公示"


def test_the_discovered_root_is_shared_by_another_daemon(channel, emulator, server, services):
    channel.publish(make_item(), ctx("d1"))
    other = WordpressChannel("web", WordpressChannel.Settings(**wp_config(server.url)), services)
    seen = emulator.requests_seen
    other.publish(make_item("第二条"), ctx("d2"))
    assert emulator.requests_seen == seen + 1  # no second home-page request
    other.close()


def test_a_category_deleted_in_wp_admin_is_created_again_and_set_on_the_post(channel, emulator):
    channel.publish(make_item(), ctx("d1"))
    [old] = [t["id"] for t in emulator.categories.values() if t["name"] == "通知公告"]
    emulator.delete_category(old)
    receipt = channel.publish(make_item("第二条"), ctx("d2"))
    [new] = [t["id"] for t in emulator.categories.values() if t["name"] == "通知公告"]
    assert new != old and emulator.posts[int(receipt.external_id)]["categories"] == [new]


def test_a_file_deleted_in_wp_admin_is_uploaded_again_not_linked_dead(channel, emulator, tmp_path):
    doc = attachment(tmp_path, "年度报告.pdf", b"%PDF-1.4 fake", "application/pdf")
    channel.publish(make_item(attachments=(doc,)), ctx("d1"))
    [media_id] = list(emulator.media)
    emulator.delete_media(media_id)
    receipt = channel.publish(make_item("第二条", attachments=(doc,)), ctx("d2"))
    [fresh] = list(emulator.media.values())
    assert fresh["id"] != media_id
    import re

    [link] = re.findall(r'href="([^"]+)"', emulator.posts[int(receipt.external_id)]["content"])
    assert requests.get(link, timeout=5).status_code == 200


def test_control_characters_from_word_never_reach_the_site(channel, emulator):
    receipt = channel.publish(make_item("标题\x0b换行\x01", body_html="<p>正文\x0c一\x1f段\x7f</p>",
                                        summary="摘要\x08"), ctx())
    post = emulator.posts[int(receipt.external_id)]
    text = post["title"] + post["content"] + post["excerpt"]
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in text)
    assert post["title"] == "标题 换行"


def test_read_back_tells_a_trashed_post_from_a_deleted_one(channel, emulator):
    kept, trashed, deleted = (channel.publish(make_item(f"第{i}条"), ctx(f"d{i}")) for i in range(3))
    emulator.posts[int(trashed.external_id)]["status"] = "trash"
    del emulator.posts[int(deleted.external_id)]
    assert channel.removed(make_item(), ctx(external_id=kept.external_id)) is None
    assert "trash" in channel.removed(make_item(), ctx(external_id=trashed.external_id))
    assert "no longer exists" in channel.removed(make_item(), ctx(external_id=deleted.external_id))
    records = {r.external_id: r for r in channel.inventory()}
    assert set(records) == {kept.external_id, trashed.external_id}
    assert records[trashed.external_id].removed and records[kept.external_id].key == "pub-d0"
