"""Emulator of a generic government CMS with a JSON/HTTP submission API (channel type ``cms``).

Routes: ``POST /api/articles`` (create, idempotent by ``Idempotency-Key`` header or ``request_id`` field),
``GET /api/articles?request_id=KEY`` (look-up), ``GET|PUT|DELETE /api/articles/<id>``, the public page
``GET /articles/<id>.html`` and its short address ``GET /go/<id>`` (a 301 to the page, for the link check's tests). Every API call needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import itertools
import json
import threading
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from publisher.sandbox.registry import SandboxEmulator
from publisher.sandbox.server import Emulator, Request, Response, html_response, json_response

MAX_TITLE = 200
REQUIRED = ("title", "content", "column", "publish_time")
OPTIONAL_TEXT = ("summary", "author", "source")
# the portal's 信息公开目录 block: ``catalogue: {index_no, issuer, …}``, text values, dates as YYYY-MM-DD
CATALOGUE_KEYS = ("index_no", "issuer", "doc_no", "written_on", "subject", "genre", "disclosure", "validity",
                  "validity_on", "validity_notice")
PORTAL_REQUIRED = ("index_no", "issuer")  # what the sandbox portal (``publisher sandbox``) will not publish without


class _Invalid(Exception):
    """A field the CMS refuses (422)."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


class CmsEmulator(Emulator):
    """A plausible government CMS: keeps every article (``articles``) and counts create calls.

    ``columns`` (optional) restricts the accepted column names, as a real portal's site tree does;
    ``clock`` (optional, returns an aware datetime) stamps ``created_at``/``updated_at``;
    ``catalogue_required`` names the 信息公开目录 fields an article must carry (a real portal refuses it otherwise).
    """

    name = "cms"

    def __init__(
        self,
        token: str = "sandbox-cms-token",
        *,
        columns: Iterable[str] | None = None,
        clock: Callable[[], datetime] | None = None,
        catalogue_required: Iterable[str] = (),
    ):
        super().__init__()
        self.token = token
        self.catalogue_required = tuple(catalogue_required)
        self.columns = set(columns) if columns is not None else None
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.articles: dict[str, dict[str, Any]] = {}
        self.create_calls = 0
        self.create_bodies: list[bytes] = []
        self._keys: dict[str, tuple[str, str]] = {}  # idempotency key -> (article id, payload fingerprint)
        self._ids = itertools.count(1001)
        self.route("POST", r"/api/articles", self._create)
        self.route("GET", r"/api/articles", self._list)
        self.route("GET", r"/api/articles/(?P<id>[^/]+)", self._get)
        self.route("PUT", r"/api/articles/(?P<id>[^/]+)", self._update)
        self.route("DELETE", r"/api/articles/(?P<id>[^/]+)", self._delete)
        self.route("GET", r"/articles/(?P<id>[^/]+)\.html", self._page)
        self.route("GET", r"/go/(?P<id>[^/]+)", self._short_link)

    # --- helpers for tests -------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every article, key, counter and pending fault (lets tests share one server)."""
        with self.lock:
            self.articles.clear()
            self._keys.clear()
            self.create_bodies.clear()
            self.create_calls = 0
        self.faults.clear()

    def live_articles(self) -> list[dict[str, Any]]:
        """Articles not withdrawn, oldest first."""
        with self.lock:
            return [a for a in self.articles.values() if a["status"] == "published"]

    # --- routes --------------------------------------------------------------------------------

    def _create(self, request: Request) -> Response:
        with self.lock:
            self.create_calls += 1
            self.create_bodies.append(request.body)
        denied = self._authorize(request)
        if denied:
            return denied
        try:
            data = self._parse_body(request)
            fields = self._validate(data)
        except _Invalid as exc:
            return _invalid(exc)
        key = request.header("idempotency-key") or _text(data.get("request_id"))
        fingerprint = _fingerprint(data)
        with self.lock:
            if key and key in self._keys:
                article_id, seen = self._keys[key]
                article = self.articles[article_id]
                if article["status"] == "published":
                    if seen != fingerprint:
                        return json_response(
                            {
                                "code": "conflict",
                                "message": "Idempotency-Key was already used with a different payload",
                                "field": "Idempotency-Key",
                            },
                            409,
                        )
                    return json_response({"code": 0, "data": self._ref(article)}, 200)
            article_id = str(next(self._ids))
            now = self.clock().isoformat()
            article = {
                "id": article_id,
                **fields,
                "status": "published",
                "request_id": key,
                "url": f"{self._origin(request)}/articles/{article_id}.html",
                "created_at": now,
                "updated_at": now,
                "versions": 1,
            }
            self.articles[article_id] = article
            if key:
                self._keys[key] = (article_id, fingerprint)
        return json_response({"code": 0, "data": self._ref(article)}, 201)

    def _list(self, request: Request) -> Response:
        denied = self._authorize(request)
        if denied:
            return denied
        key = request.arg("request_id") or request.arg("idempotency_key")
        with self.lock:
            items = [
                self._summary(a) for a in self.articles.values() if key is None or a["request_id"] == key
            ]
        return json_response({"code": 0, "data": {"items": items, "total": len(items)}})

    def _get(self, request: Request) -> Response:
        denied = self._authorize(request)
        if denied:
            return denied
        with self.lock:
            article = self.articles.get(request.params["id"])
            if article is None:
                return _not_found(request.params["id"])
            return json_response({"code": 0, "data": {k: v for k, v in article.items() if k != "versions"}})

    def _update(self, request: Request) -> Response:
        denied = self._authorize(request)
        if denied:
            return denied
        article_id = request.params["id"]
        try:
            fields = self._validate(self._parse_body(request))
        except _Invalid as exc:
            return _invalid(exc)
        with self.lock:
            article = self.articles.get(article_id)
            if article is None or article["status"] != "published":
                return _not_found(article_id)
            article.update(fields)
            article["updated_at"] = self.clock().isoformat()
            article["versions"] += 1
            return json_response({"code": 0, "data": self._ref(article)})

    def _delete(self, request: Request) -> Response:
        denied = self._authorize(request)
        if denied:
            return denied
        article_id = request.params["id"]
        with self.lock:
            article = self.articles.get(article_id)
            if article is None or article["status"] != "published":
                return _not_found(article_id)
            article["status"] = "withdrawn"
            article["updated_at"] = self.clock().isoformat()
            return json_response({"code": 0, "data": {"id": article_id, "status": "withdrawn"}})

    def _short_link(self, request: Request) -> Response:
        """A portal's short address: ``/go/<id>`` moves permanently to the article's page."""
        return Response(301, b"", {"Location": f"/articles/{request.params['id']}.html"})

    def _page(self, request: Request) -> Response:
        with self.lock:
            article = self.articles.get(request.params["id"])
            if article is None or article["status"] != "published":
                return html_response("<!doctype html><title>404</title><h1>页面不存在</h1>", 404)
            title = html.escape(article["title"])
            page = (
                f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>'
                f'<body>{_catalogue_table(article.get("catalogue") or {})}<h1>{title}</h1>'
                f'<p class="meta">{html.escape(article["column"])} · '
                f'{html.escape(article["publish_time"])}</p><div class="content">{article["content"]}</div></body></html>'
            )
        return html_response(page)

    # --- validation ----------------------------------------------------------------------------

    def _authorize(self, request: Request) -> Response | None:
        if request.header("authorization") != f"Bearer {self.token}":
            return json_response({"code": "unauthorized", "message": "missing or invalid access token"}, 401)
        return None

    @staticmethod
    def _parse_body(request: Request) -> dict[str, Any]:
        try:
            data = json.loads(request.body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise _Invalid("body", "request body is not UTF-8") from exc
        except ValueError as exc:
            raise _Invalid("body", f"request body is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise _Invalid("body", "request body must be a JSON object")
        return data

    def _validate(self, data: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for name in REQUIRED:
            value = data.get(name)
            if not isinstance(value, str) or not value.strip():
                raise _Invalid(name, f"{name} is required")
            fields[name] = value
        if len(fields["title"]) > MAX_TITLE:
            raise _Invalid("title", f"title is {len(fields['title'])} characters; at most {MAX_TITLE} allowed")
        if self.columns is not None and fields["column"] not in self.columns:
            raise _Invalid("column", f"unknown column {fields['column']!r}")
        try:
            when = datetime.fromisoformat(fields["publish_time"])
        except ValueError as exc:
            raise _Invalid("publish_time", "publish_time must be ISO 8601, e.g. 2019-06-01T10:00:00+08:00") from exc
        if when.tzinfo is None:
            raise _Invalid("publish_time", "publish_time needs a UTC offset, e.g. +08:00")
        for name in OPTIONAL_TEXT:
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise _Invalid(name, f"{name} must be a string")
            fields[name] = value or ""
        fields["attachments"] = _attachments(data.get("attachments"))
        fields["catalogue"] = self._catalogue(data.get("catalogue"))
        return fields

    def _catalogue(self, value: Any) -> dict[str, str]:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise _Invalid("catalogue", "catalogue must be an object")
        unknown = sorted(set(value) - set(CATALOGUE_KEYS))
        if unknown:
            raise _Invalid(f"catalogue.{unknown[0]}", f"unknown catalogue field {unknown[0]!r}")
        for name, text in value.items():
            if not isinstance(text, str):
                raise _Invalid(f"catalogue.{name}", f"catalogue.{name} must be a string")
        for name in self.catalogue_required:
            if not str(value.get(name) or "").strip():
                raise _Invalid(f"catalogue.{name}", f"catalogue.{name} is required by this portal's 信息公开目录")
        return dict(value)

    @staticmethod
    def _ref(article: dict[str, Any]) -> dict[str, Any]:
        return {"id": article["id"], "url": article["url"]}

    @staticmethod
    def _summary(article: dict[str, Any]) -> dict[str, Any]:
        keys = ("id", "url", "title", "column", "publish_time", "status", "request_id", "created_at")
        return {k: article[k] for k in keys}

    @staticmethod
    def _origin(request: Request) -> str:
        return f"http://{request.header('host') or '127.0.0.1'}"


CATALOGUE_LABELS = {"index_no": "索引号", "issuer": "发布机构", "doc_no": "文号", "written_on": "成文日期",
                    "subject": "主题分类", "genre": "体裁", "disclosure": "公开方式", "validity": "有效性"}


def _catalogue_table(catalogue: dict[str, str]) -> str:
    """The page's 信息公开目录 header, as portals show it above the text (and the validity notice, if any)."""
    rows = "".join(f"<tr><th>{label}</th><td>{html.escape(catalogue[key])}</td></tr>"
                   for key, label in CATALOGUE_LABELS.items() if catalogue.get(key))
    notice = catalogue.get("validity_notice")
    return ((f'<table class="catalogue">{rows}</table>' if rows else "")
            + (f'<p class="validity-notice">{html.escape(notice)}</p>' if notice else ""))


def _attachments(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Invalid("attachments", "attachments must be a list")
    result = []
    for i, spec in enumerate(value):
        where = f"attachments[{i}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
            raise _Invalid(where, "each attachment needs a name")
        if isinstance(spec.get("url"), str) and spec["url"]:
            result.append({"name": spec["name"], "url": spec["url"]})
            continue
        try:
            data = base64.b64decode(spec.get("data_base64") or "", validate=True)
        except (binascii.Error, TypeError) as exc:
            raise _Invalid(f"{where}.data_base64", "not valid base64") from exc
        if not data:
            raise _Invalid(where, "each attachment needs url or data_base64")
        result.append({"name": spec["name"], "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    return result


def _fingerprint(data: dict[str, Any]) -> str:
    body = {k: v for k, v in data.items() if k != "request_id"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _invalid(exc: _Invalid) -> Response:
    return json_response({"code": "invalid", "message": exc.message, "field": exc.field}, 422)


def _not_found(article_id: str) -> Response:
    return json_response({"code": "not_found", "message": f"article {article_id} not found"}, 404)


class DomesticCmsEmulator(Emulator):
    """A domestic-style CMS that shares none of the ``cms`` channel's defaults.

    Every answer is HTTP 200 with ``{"code", "msg", "data"}`` (200 means success); an expired key is
    ``code 401``. ``POST /api/v2/doc/save`` creates (``publishTime`` strictly ``yyyy-MM-dd HH:mm:ss``;
    ``extId`` is stored but never deduplicated), ``POST /api/v2/doc/offline {"docId": N}`` retracts,
    ``GET /api/v2/doc/search?extId=K`` looks up, ``GET /api/v2/doc/<docId>`` reads one back.
    A save can be held (``save_gate``, an Event the save waits for, or ``save_seconds``): the document
    becomes visible only when the save commits, as with a slow database transaction.
    """

    name = "cms-domestic"

    def __init__(self, key: str = "sandbox-domestic-key", *, save_seconds: float = 0.0):
        super().__init__()
        self.key = key
        self.key_expired = False
        self.get_by_id = True  # False: GET /api/v2/doc/{id} answers 404 「接口不存在」 (no read-back endpoint)
        self.save_seconds = save_seconds
        self.save_gate: threading.Event | None = None
        self.saving = threading.Event()  # set while a save is held, for tests that act mid-save
        self.docs: dict[int, dict[str, Any]] = {}
        self.save_calls = 0
        self._ids = itertools.count(5001)
        self.route("POST", r"/api/v2/doc/save", self._save)
        self.route("POST", r"/api/v2/doc/offline", self._offline)
        self.route("GET", r"/api/v2/doc/search", self._search)
        self.route("GET", r"/api/v2/doc/(?P<id>\d+)", self._get)
        self.route("GET", r"/content/(?P<id>\d+)\.html", self._page)

    def live_docs(self) -> list[dict[str, Any]]:
        """Documents online now."""
        with self.lock:
            return [d for d in self.docs.values() if d["status"] == "online"]

    def _denied(self, request: Request) -> Response | None:
        if request.header("x-api-key") != self.key or self.key_expired:
            return _coded(401, "token已过期，请重新获取")
        return None

    def _save(self, request: Request) -> Response:
        with self.lock:
            self.save_calls += 1
        denied = self._denied(request)
        if denied:
            return denied
        try:
            data = request.json()
        except ValueError:
            return _coded(400, "请求体不是JSON")
        for name in ("title", "content", "channelId", "publishTime"):
            if not isinstance(data.get(name), str) or not data[name].strip():
                return _coded(1001, f"参数{name}不能为空")
        try:
            datetime.strptime(data["publishTime"], "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return _coded(1002, "publishTime格式错误，应为yyyy-MM-dd HH:mm:ss")
        if self.save_gate is not None:
            self.saving.set()
            self.save_gate.wait(30)
        elif self.save_seconds:
            self.wait(self.save_seconds)
        with self.lock:
            doc_id = next(self._ids)
            self.docs[doc_id] = {
                "docId": doc_id, "title": data["title"], "content": data["content"], "channelId": data["channelId"],
                "publishTime": data["publishTime"], "extId": data.get("extId"), "status": "online",
                "url": f"http://{request.header('host') or '127.0.0.1'}/content/{doc_id}.html",
            }
        return _coded(200, "success", {"docId": doc_id, "url": self.docs[doc_id]["url"]})

    def _offline(self, request: Request) -> Response:
        denied = self._denied(request)
        if denied:
            return denied
        try:
            doc_id = int(request.json().get("docId"))
        except (ValueError, TypeError, AttributeError):
            return _coded(1001, "参数docId不能为空")
        with self.lock:
            doc = self.docs.get(doc_id)
            if doc is None or doc["status"] != "online":
                return _coded(404, "文档不存在")
            doc["status"] = "offline"
        return _coded(200, "success")

    def _search(self, request: Request) -> Response:
        denied = self._denied(request)
        if denied:
            return denied
        ext = request.arg("extId")
        with self.lock:
            found = [dict(d, content=None) for d in self.docs.values() if ext and d["extId"] == ext]
        return _coded(200, "success", {"list": found, "total": len(found)})

    def _get(self, request: Request) -> Response:
        denied = self._denied(request)
        if denied:
            return denied
        if not self.get_by_id:  # a CMS without a read-back endpoint: the path itself is unknown
            return json_response({"code": 404, "msg": "接口不存在", "data": None}, 404)
        with self.lock:
            doc = self.docs.get(int(request.params["id"]))
            return _coded(200, "success", dict(doc)) if doc else _coded(404, "文档不存在")

    def _page(self, request: Request) -> Response:
        with self.lock:
            doc = self.docs.get(int(request.params["id"]))
            if doc is None or doc["status"] != "online":
                return html_response("<h1>页面不存在</h1>", 404)
            return html_response(f"<h1>{html.escape(doc['title'])}</h1>{doc['content']}")


def _coded(code: int, msg: str, data: Any = None) -> Response:
    """The domestic CMS's envelope: always HTTP 200."""
    return json_response({"code": code, "msg": msg, "data": data})


SANDBOX = SandboxEmulator("cms", 8701, lambda clock: CmsEmulator(catalogue_required=PORTAL_REQUIRED))
DOMESTIC_SANDBOX = SandboxEmulator("cms-domestic", 8706, lambda clock: DomesticCmsEmulator())
