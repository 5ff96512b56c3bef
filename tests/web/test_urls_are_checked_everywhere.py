"""One URL check for settle, whichever way it comes: the API and the console refuse ``javascript:`` like the CLI."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from console_helpers import add_staff, cheap_hashing, csrf_of, login
from publisher.delivery.dispatcher import Dispatcher
from publisher.items.intake import ItemRequest, queue_one

BAD = ["javascript:alert(document.cookie)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,x",
       "http://user:secret@www.example.gov.cn/a.html", "/a/118.html", "https://www.exa mple.gov.cn/"]


@pytest.fixture
def failed(make_app, sqlite_url, tmp_path, monkeypatch):
    """An app whose one item's website delivery failed (nothing listens on port 9), and a logged-in client."""
    cheap_hashing(monkeypatch)
    app = make_app(sqlite_url, {"website": {"type": "cms", "base_url": "http://127.0.0.1:9", "auth_token": "t"}})
    add_staff(app)
    item_id = queue_one(app, ItemRequest(title="关于保障性住房分配结果的公示", category="公示公告", body="<p>公示</p>"))
    Dispatcher(app).run_due()
    from publisher.web import create_app

    client = TestClient(create_app(app))
    assert login(client, "admin1").status_code == 303
    return app, item_id, client


def _status(app, item_id) -> str:
    return app.store.get_item(item_id)["deliveries"][0]["status"]


@pytest.mark.parametrize("url", BAD)
def test_the_api_refuses_a_settle_url_that_is_not_a_web_address(failed, url):
    app, item_id, client = failed
    r = client.post(f"/api/items/{item_id}/settle", json={"channel": "website", "url": url},
                    headers={"X-CSRF-Token": csrf_of(client)})
    assert r.status_code in (400, 422), r.text
    assert r.json()["error"]["field"] == "url"
    assert _status(app, item_id) == "failed"


@pytest.mark.parametrize("url", BAD[:3])
def test_the_console_refuses_a_settle_url_that_is_not_a_web_address(failed, url):
    app, item_id, client = failed
    client.post(f"/items/{item_id}/settle", data={"csrf_token": csrf_of(client), "channel": "website", "url": url},
                follow_redirects=False)
    assert _status(app, item_id) == "failed"


def test_a_web_address_is_still_settled_by_the_api(failed):
    app, item_id, client = failed
    r = client.post(f"/api/items/{item_id}/settle", json={"channel": "website", "url": "https://www.example.gov.cn/a/1.html"},
                    headers={"X-CSRF-Token": csrf_of(client)})
    assert r.status_code == 200, r.text
    assert _status(app, item_id) == "published"
