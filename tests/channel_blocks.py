"""Channel blocks for the sandbox emulators, shared by the channel tests and the reconciliation tests."""

from __future__ import annotations

from typing import Any

SITE_PASSWORD = "sandbox-site-password"
WP_APP_PASSWORD = "abcd efgh ijkl mnop qrst uvwx"


KEY = "domestic-test-key"


def domestic_block(url: str, **overrides) -> dict:
    """A channel block for the domestic CMS: every key the defaults get wrong is set."""
    return {
        "type": "cms", "base_url": url, "auth_header": "X-Api-Key", "auth_scheme": "", "auth_token": KEY,
        "timeout": 5,
        "paths": {"create": "/api/v2/doc/save", "item": "/api/v2/doc/{id}",
                  "lookup": "/api/v2/doc/search?extId={key}", "retract": "/api/v2/doc/offline"},
        "retract_method": "post", "retract_body": '{"docId": {id}}',
        "payload": {"title": "title", "content": "body_html", "channelId": "category", "publishTime": "publish_at"},
        "idempotency_header": None, "idempotency_field": "extId", "attachments_field": None,
        "response_id": "data.docId", "response_url": "data.url", "response_code": "code", "response_ok": [200],
        "response_message": "msg", "response_auth_codes": [401], "response_gone_codes": [404],
        "lookup_items": "data.list", "lookup_id": "docId",
        "publish_time_format": "%Y-%m-%d %H:%M:%S",
        "unknown_outcome_statuses": [502, 503, 504],
        **overrides,
    }


def site_config(base_url: str, **overrides: Any) -> dict[str, Any]:
    """The documented sandbox config (channels/resource_site/README.md), pointed at ``base_url``."""
    config: dict[str, Any] = {
        "type": "resource_site",
        "display_name": "公共资源交易中心网站",
        "base_url": base_url,
        "encoding": "gbk",
        "username": "editor",
        "password": SITE_PASSWORD,
        "max_title_length": 100,
        "timeout": 5,
        "login": {
            "url": "/login.jsp",
            "form_selector": "form#loginForm",
            "fields": {"username": "userName", "password": "userPwd"},
            "success_selector": "a.logout",
            "error_selector": ".errmsg",
        },
        "submit": {
            "form_url": "/admin/notice_add.jsp",
            "form_selector": "form#noticeForm",
            "fields": {"title": "title", "body": "content", "category": "category", "attachment": "attachment"},
            "category_values": {"招标公告": "11", "中标公示": "12", "公示公告": "13"},
            "success_text": "保存成功",
            "error_selector": ".errmsg",
            "expired_form_text": "页面已过期",
        },
        "listing": {
            "url": "/notice/list.jsp?page={page}",
            "item_selector": "ul.notice-list > li",
            "title_selector": "a",
            "title_attr": "title",
            "pages": 3,
        },
        "retract": {
            "form_url": "/admin/notice_del.jsp?id={id}",
            "form_selector": "form#delForm",
            "success_text": "删除成功",
            "error_selector": ".errmsg",
            "gone_text": "公告不存在或已删除",
        },
    }
    config.update(overrides)
    return config


def wp_config(base_url: str, **overrides: Any) -> dict[str, Any]:
    """The sandbox config block for the wordpress channel, pointed at ``base_url``."""
    return {
        "type": "wordpress",
        "display_name": "门户网站",
        "base_url": base_url,
        "username": "publisher",
        "app_password": WP_APP_PASSWORD.replace(" ", ""),
        "timeout": 5,
        "category_map": {"公示公告": "通知公告"},
        **overrides,
    }
