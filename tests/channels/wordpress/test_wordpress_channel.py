"""The wordpress channel against the WordPress REST emulator, over real HTTP on loopback."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from channels.wordpress.adapter import WordpressChannel
from publisher.adapter import Attachment, DeliveryContext, ItemView
from publisher.errors import ChannelPaused, OutcomeUnknown, PermanentError, RetryableError
from channels.wordpress.emulator import WordpressEmulator
from channel_blocks import wp_config

APP_PASSWORD = "abcd efgh ijkl mnop qrst uvwx"
NOW = datetime(2019, 6, 1, 2, 0, tzinfo=timezone.utc)  # the `clock` fixture's start


def make_item(title: str = "关于2019年度水质检测结果的公示", **kw: Any) -> ItemView:
    """An item as the core would hand it over."""
    fields: dict[str, Any] = dict(
        id=1,
        uid="item-0001",
        title=title,
        category="公示公告",
        body_html="<p>检测结果见下表。</p>",
        publish_at=NOW - timedelta(minutes=5),
        summary="水质检测结果",
    )
    fields.update(kw)
    return ItemView(**fields)


def ctx(key: str = "d1", checkpoint: dict[str, Any] | None = None, external_id: str | None = None) -> DeliveryContext:
    """A delivery context whose checkpoint is kept in ``checkpoint`` (a dict the test can reuse)."""
    store = checkpoint if checkpoint is not None else {}
    return DeliveryContext(
        delivery_id=1, channel="web", idempotency_key=key, attempt=1, checkpoint=store,
        external_id=external_id, save_checkpoint=lambda values: store.update(values),
    )


def attachment(tmp_path: Path, name: str, data: bytes, mime: str) -> Attachment:
    path = tmp_path / hashlib.sha256(data).hexdigest()
    path.write_bytes(data)
    return Attachment(path, name, mime, hashlib.sha256(data).hexdigest(), len(data))


@pytest.fixture
def emulator(clock) -> WordpressEmulator:
    return WordpressEmulator(clock=clock)


@pytest.fixture
def channel(server, services):
    adapter = WordpressChannel("web", WordpressChannel.Settings(**wp_config(server.url)), services)
    yield adapter
    adapter.close()


def test_create_maps_category_once_and_reuses_the_cached_term(channel, emulator, services, server):
    first = channel.publish(make_item(), ctx("d1"))
    second = channel.publish(make_item("第二条"), ctx("d2"))

    assert emulator.category_creates == 1
    [term] = [t for t in emulator.categories.values() if t["name"] == "通知公告"]
    posts = sorted(emulator.posts.values(), key=lambda p: p["id"])
    assert [p["categories"] for p in posts] == [[term["id"]], [term["id"]]]
    assert [p["title"] for p in posts] == ["关于2019年度水质检测结果的公示", "第二条"]
    assert posts[0]["status"] == "publish" and posts[0]["excerpt"] == "水质检测结果"
    assert posts[0]["date_gmt"] == NOW - timedelta(minutes=5)
    assert first.external_id == str(posts[0]["id"]) and first.external_url == f"{server.url}/?p={posts[0]['id']}"
    assert first.published_at == NOW - timedelta(minutes=5)
    assert posts[0]["slug"] == "pub-d1" and second.detail["slug"] == "pub-d2"
    # another adapter instance sharing the state (another daemon) does not look the term up again
    other = WordpressChannel("web", WordpressChannel.Settings(**wp_config(server.url)), services)
    seen = emulator.requests_seen
    other.publish(make_item("第三条"), ctx("d3"))
    assert emulator.requests_seen == seen + 1


def test_existing_category_is_found_across_pages_and_term_exists_is_used(channel, emulator):
    for i in range(120):
        emulator.categories[10_000 + i] = {"id": 10_000 + i, "count": 0, "description": "", "name": f"通知公告{i:03d}",
                                           "slug": f"t{i}", "taxonomy": "category", "parent": 0}
    emulator.categories[20_000] = {"id": 20_000, "count": 0, "description": "", "name": "通知公告",
                                   "slug": "tzgg", "taxonomy": "category", "parent": 0}
    channel.publish(make_item(), ctx("d1"))
    assert emulator.category_creates == 0
    assert next(iter(emulator.posts.values()))["categories"] == [20_000]


def test_category_lookup_handles_html_escaped_names_and_term_exists(channel, emulator, server, services):
    item = make_item(category="R&D 公告")
    channel.publish(item, ctx("d1"))
    [term] = [t for t in emulator.categories.values() if t["slug"].startswith("rd")]
    assert term["name"] == "R&amp;D 公告"
    # a fresh state (state lost): the search finds the escaped name instead of creating a second one
    services.state.delete(f"term:{server.url}:R&D 公告")
    channel.publish(item, ctx("d2"))
    assert emulator.category_creates == 1


def test_future_publish_time_becomes_a_scheduled_post(channel, emulator):
    receipt = channel.publish(make_item(publish_at=NOW + timedelta(days=2)), ctx())
    [post] = emulator.posts.values()
    assert post["status"] == "future" and receipt.detail["status"] == "future"
    assert receipt.published_at == NOW + timedelta(days=2)
    channel.publish(make_item(publish_at=NOW + timedelta(seconds=59)), ctx("d2"))
    assert emulator.posts[int(channel.lookup(make_item(), ctx("d2")).external_id)]["status"] == "publish"


def test_inline_images_and_attachments_are_uploaded_once_and_rewritten(channel, emulator, tmp_path):
    png = attachment(tmp_path, "图1.png", b"\x89PNG\r\n\x1a\nfake", "image/png")
    pdf = attachment(tmp_path, "检测报告（2019）.pdf", b"%PDF-1.4 report", "application/pdf")
    body = f'<p>如图：<img src="attachment:{png.sha256}" alt="图1"></p><p><img src="attachment:{png.sha256}"></p>'
    item = make_item(body_html=body, inline_images={png.sha256: png}, attachments=(pdf,))
    channel.publish(item, ctx("d1"))
    channel.publish(make_item("又一条", body_html=body, inline_images={png.sha256: png}), ctx("d2"))

    assert len(emulator.media) == 2
    by_name = {m["filename"]: m for m in emulator.media.values()}
    assert set(by_name) == {"图1.png", "检测报告（2019）.pdf"}
    post = min(emulator.posts.values(), key=lambda p: p["id"])
    assert "attachment:" not in post["content"]
    image_url = "/wp-content/uploads/2019/06/%E5%9B%BE1.png"
    assert post["content"].count(image_url) == 2
    assert "检测报告（2019）.pdf</a>" in post["content"] and "附件：" in post["content"]
    src = post["content"].split('src="')[1].split('"')[0]
    assert requests.get(src, timeout=5).content == b"\x89PNG\r\n\x1a\nfake"


def test_check_flags_an_inline_image_without_its_file(channel):
    item = make_item(body_html=f'<img src="attachment:{"a" * 64}">')
    assert channel.check(item) == ["inline image(s) without a stored file: aaaaaaaaaaaa"]
    with pytest.raises(PermanentError, match="without a stored file"):
        channel.publish(item, ctx())


def test_update_replaces_the_published_copy(channel, emulator):
    receipt = channel.publish(make_item(), ctx())
    updated = channel.update(make_item("关于2019年度水质检测结果的公示（更正）", body_html="<p>更正后</p>"),
                             ctx(external_id=receipt.external_id))
    assert updated.external_id == receipt.external_id
    [post] = emulator.posts.values()
    assert post["title"].endswith("（更正）") and post["content"] == "<p>更正后</p>"
    with pytest.raises(PermanentError, match="no longer exists"):
        channel.update(make_item(), ctx(external_id="9999"))


def test_retract_trashes_by_default_and_deletes_when_configured(channel, emulator, server, services):
    receipt = channel.publish(make_item(), ctx("d1"))
    channel.retract(make_item(), ctx(external_id=receipt.external_id))
    assert emulator.posts[int(receipt.external_id)]["status"] == "trash"
    channel.retract(make_item(), ctx(external_id=receipt.external_id))  # already trashed: done

    deleting = WordpressChannel("web", WordpressChannel.Settings(**wp_config(server.url, delete_mode="delete")), services)
    other = deleting.publish(make_item("第二条"), ctx("d2"))
    deleting.retract(make_item("第二条"), ctx(external_id=other.external_id))
    assert int(other.external_id) not in emulator.posts
    assert [p["id"] for p in emulator.deleted_posts] == [int(other.external_id)]
    deleting.retract(make_item("第二条"), ctx(external_id=other.external_id))  # already gone: done


@pytest.mark.parametrize("kind", ["accept_then_drop", "accept_then_timeout"])
def test_unknown_outcome_is_settled_by_slug_lookup_with_one_post(kind, emulator, server, services):
    channel = WordpressChannel("web", WordpressChannel.Settings(**wp_config(server.url, timeout=0.5)), services)
    emulator.faults.add(kind, path=r"/wp/v2/posts$", seconds=2)
    checkpoint: dict[str, Any] = {}
    with pytest.raises(OutcomeUnknown):
        channel.publish(make_item(publish_at=NOW + timedelta(days=1)), ctx("d1", checkpoint))
    found = channel.lookup(make_item(), ctx("d1", checkpoint))
    assert found is not None and found.detail["status"] == "future"
    # publish called again anyway: the slug checkpoint makes it find the post instead of re-posting
    assert channel.publish(make_item(), ctx("d1", checkpoint)) == found
    assert len(emulator.posts) == 1
    assert channel.lookup(make_item(), ctx("never-sent")) is None


def test_server_errors_are_retryable_and_then_the_post_is_not_duplicated(channel, emulator):
    emulator.faults.add("status", status=503, retry_after=7, path=r"/wp/v2/posts$")
    checkpoint: dict[str, Any] = {}
    with pytest.raises(RetryableError) as info:
        channel.publish(make_item(), ctx("d1", checkpoint))
    assert info.value.retry_after == 7
    channel.publish(make_item(), ctx("d1", checkpoint))
    assert len(emulator.posts) == 1


@pytest.mark.parametrize(
    ("user", "password", "code"),
    [("publisher", "wrong pass word xxxx", "incorrect_password"), ("nobody", APP_PASSWORD, "invalid_username")],
)
def test_bad_credentials_pause_the_channel_without_the_password(server, services, user, password, code):
    config = wp_config(server.url, username=user, app_password=password)
    channel = WordpressChannel("web", WordpressChannel.Settings(**config), services)
    with pytest.raises(ChannelPaused) as info:
        channel.publish(make_item(), ctx())
    message = str(info.value)
    assert info.value.until is None and code in message and "app_password" in message
    assert password not in message and password.replace(" ", "") not in message


def test_missing_auth_and_error_bodies_surface_code_and_message(server, emulator, channel):
    response = requests.post(f"{server.url}/wp-json/wp/v2/posts", json={"title": "x"}, timeout=5)
    assert response.status_code == 401 and response.json()["code"] == "rest_not_logged_in"
    with pytest.raises(PermanentError, match=r"HTTP 400 empty_content: Content, title, and excerpt are empty"):
        channel._call("POST", "posts", json={"title": "", "content": ""})
    emulator.faults.add("status", status=400, path="/wp/v2/posts$",
                        body={"code": "rest_invalid_param", "message": "Invalid parameter(s): date_gmt",
                              "data": {"status": 400}})
    with pytest.raises(PermanentError, match="rest_invalid_param: Invalid parameter\\(s\\): date_gmt"):
        channel.publish(make_item(), ctx())


def test_per_page_over_100_is_refused_and_lookups_stay_within_it(server, emulator, channel):
    auth = ("publisher", APP_PASSWORD)
    response = requests.get(f"{server.url}/wp-json/wp/v2/posts", params={"per_page": 101}, auth=auth, timeout=5)
    assert response.status_code == 400 and response.json()["code"] == "rest_invalid_param"
    for i in range(3):
        channel.publish(make_item(f"第{i}条"), ctx(f"d{i}"))
    page = requests.get(f"{server.url}/wp-json/wp/v2/posts", params={"per_page": 2, "page": 2}, auth=auth, timeout=5)
    assert page.headers["X-WP-Total"] == "3" and page.headers["X-WP-TotalPages"] == "2" and len(page.json()) == 1


def test_duplicate_slug_gets_a_suffix_like_wordpress(server, emulator):
    auth = ("publisher", APP_PASSWORD.replace(" ", ""))
    url = f"{server.url}/wp-json/wp/v2/posts"
    slugs = [requests.post(url, json={"title": "t", "slug": "same", "status": "publish"}, auth=auth, timeout=5)
             .json()["slug"] for _ in range(3)]
    assert slugs == ["same", "same-2", "same-3"]


def test_rest_route_mode_for_sites_without_pretty_permalinks(server, services, emulator):
    channel = WordpressChannel("web", WordpressChannel.Settings(**wp_config(server.url, use_rest_route=True)), services)
    receipt = channel.publish(make_item(), ctx())
    assert channel.lookup(make_item(), ctx()) == receipt
    assert len(emulator.posts) == 1


def test_wrong_api_prefix_pauses_with_a_hint(server, services):
    channel = WordpressChannel("web", WordpressChannel.Settings(**wp_config(server.url, api_prefix="/api")), services)
    with pytest.raises(ChannelPaused, match="api_prefix"):
        channel.publish(make_item(), ctx())


def test_term_exists_answer_gives_the_existing_id(channel, emulator):
    emulator.categories[500] = {"id": 500, "count": 0, "description": "", "name": "News", "slug": "news",
                                "taxonomy": "category", "parent": 0}
    channel.publish(make_item(category="news"), ctx())  # search finds "News", not an exact match; create says exists
    assert emulator.category_creates == 0
    assert next(iter(emulator.posts.values()))["categories"] == [500]


def test_a_cached_category_deleted_on_the_site_is_resolved_again(channel, emulator):
    channel.publish(make_item(), ctx("d1"))
    [term_id] = [t["id"] for t in emulator.categories.values() if t["name"] == "通知公告"]
    del emulator.categories[term_id]
    channel.publish(make_item("第二条"), ctx("d2"))
    [new_id] = [t["id"] for t in emulator.categories.values() if t["name"] == "通知公告"]
    assert new_id != term_id and emulator.posts[max(emulator.posts)]["categories"] == [new_id]


def test_refused_file_type_is_permanent_although_wordpress_says_500(channel, emulator, tmp_path):
    exe = attachment(tmp_path, "setup.exe", b"MZ", "application/x-msdownload")
    with pytest.raises(PermanentError, match="rest_upload_sideload_error"):
        channel.publish(make_item(attachments=(exe,)), ctx())
    assert emulator.posts == {}


def test_a_category_deleted_in_wp_admin_is_recreated_when_the_post_comes_back_with_none(server, services):
    emulator = server.emulator
    emulator.no_default_category = True  # the site answers ``categories: []`` for a dropped id
    channel = WordpressChannel("web", WordpressChannel.Settings(**wp_config(server.url)), services)
    channel.publish(make_item(), ctx("d1"))
    [term_id] = [t["id"] for t in emulator.categories.values() if t["name"] == "通知公告"]
    emulator.delete_category(term_id)
    channel.publish(make_item("第二条"), ctx("d2"))
    [new_id] = [t["id"] for t in emulator.categories.values() if t["name"] == "通知公告"]
    assert new_id != term_id and emulator.posts[max(emulator.posts)]["categories"] == [new_id]


def test_rest_root_discovery_stays_on_the_base_url_host(server, services, emulator):
    emulator.announced_root = "http://10.0.0.7:8080/wp-json/"  # an internal address behind the proxy
    channel = WordpressChannel("web", WordpressChannel.Settings(**wp_config(server.url)), services)
    receipt = channel.publish(make_item(), ctx())
    assert receipt.external_id == str(max(emulator.posts))
    assert services.state.get(f"rest_root:{server.url}") == f"{server.url}/wp-json/"
