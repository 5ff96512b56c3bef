"""A strict emulator of the WeChat Official Account API (token, images, drafts, free publishing).

It follows the platform's contract in channels/wechat/README.md: errors are HTTP 200 ``{"errcode", "errmsg"}``,
JSON bodies must be UTF-8 without ``\\uXXXX`` escapes (40033), tokens expire by an injectable clock and
a newly issued token retires the previous one five minutes later. Everything received is kept so
tests can count drafts, publishes and articles server-side.

Errcodes this emulator picks where the contract names none (documented here, used consistently):
45110 author too long, 40039 content_source_url longer than 1 KB, 44003 article without title or
content, 47001 body that is not JSON, 41001 missing access_token, 40035 bad batchget count.
"""

from __future__ import annotations

import itertools
from html import escape
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup

from publisher.sandbox.registry import SandboxEmulator
from publisher.sandbox.server import Emulator, Request, Response, html_response, json_response, parse_multipart

TOKEN_TTL = 7200
OLD_TOKEN_GRACE = timedelta(minutes=5)
MB = 1024 * 1024
CDN_HOST = "mmbiz.qpic.cn"
CHINA = ZoneInfo("Asia/Shanghai")
_TOKEN_SHAPE = re.compile(r"[0-9A-Za-z_-]{32,512}")

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40005: "invalid file type",
    40007: "invalid media_id",
    40009: "invalid image size",
    40013: "invalid appid",
    40014: "invalid access_token",
    40033: "invalid charset. please check your request, if include \\uxxxx will create fail!",
    40035: "invalid args",
    40039: "invalid url size",
    40125: "invalid appsecret",
    40164: "invalid ip 127.0.0.1, not in whitelist",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    42001: "access_token expired",
    44003: "empty news data",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit, must slower, retry next minute",
    45110: "author size out of limit",
    47001: "data format error",
    48001: "api unauthorized",
    53501: "frequently publish, please try later",
}

#: Default daily call limits per API path (the token limit is the documented ~2000 a day).
DEFAULT_DAILY_LIMITS = {"/cgi-bin/token": 2000, "/cgi-bin/stable_token": 10000}

# Tags and attributes that survive in a stored article body.
_DROP_TAGS = ("script", "style", "iframe", "object", "embed", "form", "input", "button", "link", "meta")


def _error(code: int, errmsg: str | None = None) -> Response:
    return json_response({"errcode": code, "errmsg": errmsg or ERRMSG.get(code, "error")})


def _ok(**values: Any) -> Response:
    return json_response({"errcode": 0, "errmsg": "ok", **values})


def _image_kind(data: bytes) -> str | None:
    """The image format from its magic bytes: jpg, png, gif, bmp, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    return None


def form_files(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """A ``multipart/form-data`` body as ``{field: (filename, bytes)}`` (empty when it is not multipart)."""
    try:
        parts = parse_multipart(body, content_type)
    except ValueError:
        return {}
    return {p.name: (p.filename, p.data) for p in parts if p.name}


def escapes_non_ascii(text: str) -> bool:
    """True when a JSON text holds a backslash-u escape (four hex digits) of a non-ASCII character anywhere, as WeChat
    scans for it: a real escape, and also a literal backslash-u written in the text, which WeChat refuses alike
    (40033)."""
    return any(int(code, 16) >= 0x80 for code in re.findall(r"\\u([0-9a-fA-F]{4})", text))


@dataclass
class _Token:
    value: str
    kind: str  # "token" or "stable"
    expires_at: datetime
    retired_at: datetime | None = None


@dataclass
class PublishJob:
    """One freepublish/submit: its draft, how often it was polled, and where it ends."""

    publish_id: str
    media_id: str
    msg_data_id: int
    submitted_at: datetime
    final_status: int = 0
    polls: int = 0
    status: int = 1
    article_id: str | None = None
    fail_idx: list[int] = field(default_factory=list)


@dataclass
class Article:
    """A published article as batchget lists it."""

    article_id: str
    publish_id: str
    news_item: list[dict[str, Any]]
    update_time: int
    is_deleted: bool = False
    status: int = 0


@dataclass
class _ErrcodeFault:
    path: re.Pattern[str]
    errcode: int
    times: int
    errmsg: str | None = None


class WechatEmulator(Emulator):
    """A WeChat Official Account API on loopback, strict per the platform's contract in channels/wechat/README.md.

    ``clock`` is a callable returning an aware datetime, or an object with ``now()`` (default: real
    time). ``verified=False`` makes freepublish/delete answer 48001; each path in ``unauthorised_apis`` answers 48001
    (an account without e.g. draft/batchget) and each in ``missing_apis`` HTTP 404 (an endpoint without it); ``ip_whitelisted=False`` makes
    every call answer 40164. A submitted publish reports status 1 for ``publish_delay_polls`` polls
    of freepublish/get (or until ``publish_delay_seconds`` pass on the clock), then its final status.
    """

    name = "wechat"

    def __init__(
        self,
        appid: str = "wxsandbox0000000001",
        secret: str = "sandbox-wechat-secret",
        clock: Any = None,
        verified: bool = True,
        ip_whitelisted: bool = True,
        publish_delay_polls: int = 1,
        publish_delay_seconds: float = 60.0,
        daily_limits: dict[str, int] | None = None,
        article_base: str = "https://mp.weixin.qq.com",
        token_ttl: int = TOKEN_TTL,
        stable_reissues_early: bool = True,
        unauthorised_apis: tuple[str, ...] = (),
        missing_apis: tuple[str, ...] = (),
    ):
        super().__init__()
        self.appid = appid
        self.secret = secret
        self._clock: Callable[[], datetime] = (
            clock.now if hasattr(clock, "now") else clock if callable(clock) else (lambda: datetime.now(timezone.utc))
        )
        self.verified = verified
        self.ip_whitelisted = ip_whitelisted
        self.publish_delay_polls = publish_delay_polls
        self.publish_delay_seconds = publish_delay_seconds
        self.daily_limits = dict(DEFAULT_DAILY_LIMITS if daily_limits is None else daily_limits)
        self.article_base = article_base.rstrip("/")
        self.token_ttl = token_ttl  # a platform may hand out shorter-lived tokens
        self.stable_reissues_early = stable_reissues_early  # False: stable_token returns the same token to its end
        self.unauthorised_apis = set(unauthorised_apis)  # paths this account may not call: errcode 48001
        self.missing_apis = set(missing_apis)  # paths this endpoint does not serve: HTTP 404

        self.token_calls = 0
        self.stable_token_calls = 0
        self.tokens: dict[str, _Token] = {}
        self.calls: dict[str, int] = {}
        self.quota_used: dict[tuple[str, str], int] = {}
        self.uploaded_images: list[dict[str, Any]] = []
        self.materials: dict[str, dict[str, Any]] = {}
        self.material_uploads = 0
        self.drafts: dict[str, dict[str, Any]] = {}
        self.draft_adds = 0
        self.publishes: dict[str, PublishJob] = {}
        self.submits = 0
        self.articles: dict[str, Article] = {}
        self.deletes: list[tuple[str, int]] = []
        self.rejected: list[tuple[str, int]] = []
        self._errcode_faults: list[_ErrcodeFault] = []
        self._next_status: list[int] = []
        self._ids = itertools.count(1)
        self._state_lock = threading.RLock()

        api = self._api
        self.route("GET", "/cgi-bin/token", api(self._token, token=False))
        self.route("POST", "/cgi-bin/stable_token", api(self._stable_token, token=False, body="json"))
        self.route("POST", "/cgi-bin/media/uploadimg", api(self._uploadimg, body="multipart"))
        self.route("POST", "/cgi-bin/material/add_material", api(self._add_material, body="multipart"))
        self.route("POST", "/cgi-bin/draft/add", api(self._draft_add, body="json"))
        self.route("POST", "/cgi-bin/draft/get", api(self._draft_get, body="json"))
        self.route("POST", "/cgi-bin/draft/batchget", api(self._draft_batchget, body="json"))
        self.route("POST", "/cgi-bin/material/batchget_material", api(self._material_batchget, body="json"))
        self.route("POST", "/cgi-bin/freepublish/submit", api(self._submit, body="json"))
        self.route("POST", "/cgi-bin/freepublish/get", api(self._publish_get, body="json"))
        self.route("POST", "/cgi-bin/freepublish/batchget", api(self._batchget, body="json"))
        self.route("POST", "/cgi-bin/freepublish/delete", api(self._delete, body="json"))
        self.route("POST", "/cgi-bin/clear_quota", api(self._clear_quota, body="json"))
        self.route("GET", r"/s/(?P<article_id>[^/]+)_(?P<index>\d+)", self._article_page)
        self.route("POST", "/_sandbox/wechat/errcodes", self._http_inject_errcode)
        self.route("POST", "/_sandbox/wechat/next_status", self._http_next_status)
        self.route("GET", "/_sandbox/wechat/state", self._http_state)

    # ----------------------------------------------------------------- test hooks

    def now(self) -> datetime:
        """The emulator's current time (from the injected clock)."""
        return self._clock()

    def inject_errcode(self, path: str, errcode: int, times: int = 1, errmsg: str | None = None) -> None:
        """Make the next ``times`` calls whose path matches the regex ``path`` answer ``errcode``."""
        with self._state_lock:
            self._errcode_faults.append(_ErrcodeFault(re.compile(path), errcode, times, errmsg))

    def force_next_status(self, status: int, times: int = 1) -> None:
        """Make the next ``times`` submits end in ``status`` (2, 3 or 4) instead of success."""
        with self._state_lock:
            self._next_status.extend([status] * times)

    def mark_article(self, article_id: str, status: int) -> None:
        """Later removal by the platform: 5 = deleted, 6 = banned."""
        with self._state_lock:
            article = self.articles[article_id]
            article.status = status
            article.is_deleted = True
            self.publishes[article.publish_id].status = status

    def revoke_tokens(self) -> None:
        """Invalidate every issued token at once (e.g. the secret was reset in the admin)."""
        with self._state_lock:
            self.tokens.clear()

    def live_articles(self) -> list[Article]:
        """Published articles not deleted or banned."""
        with self._state_lock:
            self._settle_all()
            return [a for a in self.articles.values() if not a.is_deleted]

    # ----------------------------------------------------------------- plumbing

    def _api(self, handler: Callable[..., Response], *, token: bool = True, body: str | None = None) -> Callable[[Request], Response]:
        def wrapped(request: Request) -> Response:
            with self._state_lock:
                self.calls[request.path] = self.calls.get(request.path, 0) + 1
                response = self._gate(request, token)
                if response is None:
                    payload: Any = None
                    if body == "json":
                        payload = self._json_body(request)
                        if isinstance(payload, Response):
                            response = payload
                    elif body == "multipart":
                        payload = form_files(request.body, request.header("content-type", ""))
                    if response is None:
                        response = handler(request, payload) if body else handler(request)
                code = json.loads(response.body or b"{}").get("errcode") if response.status == 200 else None
                if code:
                    self.rejected.append((request.path, code))
                return response

        return wrapped

    def _gate(self, request: Request, needs_token: bool) -> Response | None:
        if not self.ip_whitelisted:
            return _error(40164)
        if request.path in self.missing_apis:
            return json_response({"error": "not found"}, 404)
        if request.path in self.unauthorised_apis:
            return _error(48001)
        for fault in self._errcode_faults:
            if fault.path.search(request.path):
                fault.times -= 1
                if fault.times <= 0:
                    self._errcode_faults.remove(fault)
                return _error(fault.errcode, fault.errmsg)
        if needs_token:
            problem = self._token_problem(request.arg("access_token"))
            if problem:
                return _error(problem)
        limit = self.daily_limits.get(request.path)
        if limit is not None:
            key = (self.now().astimezone(CHINA).date().isoformat(), request.path)
            if self.quota_used.get(key, 0) >= limit:
                return _error(45009)
            self.quota_used[key] = self.quota_used.get(key, 0) + 1
        return None

    def _token_problem(self, value: str | None) -> int | None:
        if not value:
            return 41001
        if not _TOKEN_SHAPE.fullmatch(value):
            return 40014
        token = self.tokens.get(value)
        if token is None:
            return 40001
        now = self.now()
        if token.retired_at is not None and token.retired_at <= now:
            return 40001
        if token.expires_at <= now:
            return 42001
        return None

    @staticmethod
    def _json_body(request: Request) -> Any:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            return _error(40033)
        if escapes_non_ascii(text):
            return _error(40033)
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return _error(47001)
        return data if isinstance(data, dict) else _error(47001)

    def _issue(self, kind: str, retire: bool = True) -> _Token:
        now = self.now()
        for token in self.tokens.values():
            if retire and token.kind == kind and token.retired_at is None:
                token.retired_at = now + OLD_TOKEN_GRACE if kind == "token" else now
        token = _Token(secrets.token_urlsafe(48), kind, now + timedelta(seconds=self.token_ttl))
        self.tokens[token.value] = token
        return token

    def _credentials_problem(self, appid: str | None, secret: str | None) -> int | None:
        if not appid:
            return 41002
        if not secret:
            return 41004
        if appid != self.appid:
            return 40013
        if secret != self.secret:
            return 40125
        return None

    # ----------------------------------------------------------------- token

    def _token(self, request: Request) -> Response:
        self.token_calls += 1
        if request.arg("grant_type") != "client_credential":
            return _error(40002)
        problem = self._credentials_problem(request.arg("appid"), request.arg("secret"))
        if problem:
            return _error(problem)
        token = self._issue("token")
        return json_response({"access_token": token.value, "expires_in": self.token_ttl})

    def _stable_token(self, request: Request, data: dict[str, Any]) -> Response:
        self.stable_token_calls += 1
        if data.get("grant_type") != "client_credential":
            return _error(40002)
        problem = self._credentials_problem(data.get("appid"), data.get("secret"))
        if problem:
            return _error(problem)
        now = self.now()
        current = max(
            (t for t in self.tokens.values() if t.kind == "stable" and t.retired_at is None and t.expires_at > now),
            key=lambda t: t.expires_at,
            default=None,
        )
        if current is None or data.get("force_refresh"):
            current = self._issue("stable")
        elif self.stable_reissues_early and current.expires_at - now <= OLD_TOKEN_GRACE:
            current = self._issue("stable", retire=False)  # the last five minutes: a new one, the old still works
        expires_in = int((current.expires_at - now).total_seconds())
        return json_response({"access_token": current.value, "expires_in": expires_in})

    def _clear_quota(self, request: Request, data: dict[str, Any]) -> Response:
        if data.get("appid") != self.appid:
            return _error(40013)
        self.quota_used.clear()
        return _ok()

    # ----------------------------------------------------------------- media

    def _uploadimg(self, request: Request, fields: dict[str, tuple[str | None, bytes]]) -> Response:
        if "media" not in fields:
            return _error(41005)
        data = fields["media"][1]
        kind = _image_kind(data)
        if kind not in ("jpg", "png"):
            return _error(40005)
        if len(data) >= MB:
            return _error(40009)
        url = f"http://{CDN_HOST}/sandbox/{next(self._ids)}.{kind}"
        self.uploaded_images.append({"url": url, "kind": kind, "size": len(data), "filename": fields["media"][0]})
        return json_response({"url": url, "errcode": 0, "errmsg": "ok"})

    def _add_material(self, request: Request, fields: dict[str, tuple[str | None, bytes]]) -> Response:
        kind_arg = request.arg("type")
        if kind_arg not in ("image", "thumb"):
            return _error(40004, "invalid media type")
        if "media" not in fields:
            return _error(41005)
        data = fields["media"][1]
        kind = _image_kind(data)
        allowed, limit = (("jpg",), 64 * 1024) if kind_arg == "thumb" else (("jpg", "png", "gif", "bmp"), 10 * MB)
        if kind not in allowed:
            return _error(40005)
        if len(data) > limit:
            return _error(40009)
        self.material_uploads += 1
        media_id = secrets.token_urlsafe(32)
        url = f"http://{CDN_HOST}/sandbox/material/{next(self._ids)}.{kind}"
        self.materials[media_id] = {"type": kind_arg, "url": url, "size": len(data), "name": fields["media"][0] or "",
                                    "update_time": int(self.now().timestamp())}
        return json_response({"media_id": media_id, "url": url, "item": []})

    def _material_batchget(self, request: Request, data: dict[str, Any]) -> Response:
        kind = data.get("type") or "image"
        offset, count = int(data.get("offset") or 0), min(int(data.get("count") or 20), 20)
        found = [{"media_id": m, "name": v["name"], "update_time": v["update_time"], "url": v["url"]}
                 for m, v in reversed(list(self.materials.items())) if v["type"] == kind]
        page = found[offset:offset + count]
        return json_response({"total_count": len(found), "item_count": len(page), "item": page})

    # ----------------------------------------------------------------- drafts

    def _draft_batchget(self, request: Request, data: dict[str, Any]) -> Response:
        offset, count = int(data.get("offset") or 0), min(int(data.get("count") or 20), 20)
        found = [{"media_id": m, "update_time": int(d["created"].timestamp()), "content": {"news_item": [
                  {k: v for k, v in n.items() if k != "content" or not data.get("no_content")} for n in d["news_item"]]}}
                 for m, d in reversed(list(self.drafts.items())) if not d["published"]]
        page = found[offset:offset + count]
        return json_response({"total_count": len(found), "item_count": len(page), "item": page})

    def _draft_add(self, request: Request, data: dict[str, Any]) -> Response:
        articles = data.get("articles")
        if not isinstance(articles, list) or not articles:
            return _error(44003)
        stored = []
        for article in articles:
            if not isinstance(article, dict):
                return _error(47001)
            problem = self._article_problem(article)
            if problem:
                return _error(problem)
            stored.append(self._store_article(article))
        self.draft_adds += 1
        media_id = secrets.token_urlsafe(32)
        self.drafts[media_id] = {"news_item": stored, "created": self.now(), "published": False}
        return json_response({"media_id": media_id})

    def _article_problem(self, article: dict[str, Any]) -> int | None:
        title = article.get("title") or ""
        content = article.get("content") or ""
        if not title or not content:
            return 44003
        if len(title) > 32:
            return 45003
        if len(article.get("author") or "") > 16:
            return 45110
        if len(article.get("digest") or "") > 128:
            return 45004
        if len(content) >= 20000 or len(content.encode("utf-8")) >= MB:
            return 45002
        if len((article.get("content_source_url") or "").encode("utf-8")) > 1024:
            return 40039
        material = self.materials.get(article.get("thumb_media_id") or "")
        if material is None:
            return 40007
        return None

    def _store_article(self, article: dict[str, Any]) -> dict[str, Any]:
        content, dropped = clean_content(article["content"])
        digest = article.get("digest") or BeautifulSoup(content, "html.parser").get_text()[:54]
        return {
            "title": article["title"],
            "author": article.get("author") or "",
            "digest": digest,
            "content": content,
            "received_content": article["content"],
            "dropped_images": dropped,
            "content_source_url": article.get("content_source_url") or "",
            "thumb_media_id": article["thumb_media_id"],
            "thumb_url": self.materials[article["thumb_media_id"]]["url"],
            "need_open_comment": int(bool(article.get("need_open_comment"))),
            "only_fans_can_comment": int(bool(article.get("only_fans_can_comment"))),
        }

    def _draft_get(self, request: Request, data: dict[str, Any]) -> Response:
        draft = self.drafts.get(str(data.get("media_id")))
        if draft is None:
            return _error(40007)
        items = [{k: v for k, v in item.items() if k not in ("received_content", "dropped_images")} for item in draft["news_item"]]
        return json_response({"news_item": items})

    # ----------------------------------------------------------------- publishing

    def _submit(self, request: Request, data: dict[str, Any]) -> Response:
        media_id = str(data.get("media_id") or "")
        draft = self.drafts.get(media_id)
        if draft is None or draft["published"]:
            return _error(40007)
        self.submits += 1
        publish_id = str(2247483000 + next(self._ids))
        job = PublishJob(publish_id, media_id, 2247480000 + len(self.publishes) + 1, self.now())
        if self._next_status:
            job.final_status = self._next_status.pop(0)
            job.fail_idx = [1]
        self.publishes[publish_id] = job
        return _ok(publish_id=publish_id, msg_data_id=job.msg_data_id)

    def _settle(self, job: PublishJob) -> None:
        """Finish a job once it was polled enough or enough time has passed."""
        if job.status != 1:
            return
        waited = (self.now() - job.submitted_at).total_seconds()
        if job.polls <= self.publish_delay_polls and waited < self.publish_delay_seconds:
            return
        job.status = job.final_status
        if job.status != 0:
            return
        draft = self.drafts[job.media_id]
        draft["published"] = True  # a published draft leaves the draft box
        article_id = secrets.token_urlsafe(24)
        job.article_id = article_id
        items = []
        for index, item in enumerate(draft["news_item"], start=1):
            items.append({**item, "url": f"{self.article_base}/s/{article_id}_{index}", "is_deleted": False})
        # finished when polled enough, or publish_delay_seconds after the submit, whichever came first
        finished = min(self.now(), job.submitted_at + timedelta(seconds=self.publish_delay_seconds))
        self.articles[article_id] = Article(article_id, job.publish_id, items, int(finished.timestamp()))

    def _settle_all(self) -> None:
        for job in self.publishes.values():
            self._settle(job)

    def _publish_get(self, request: Request, data: dict[str, Any]) -> Response:
        job = self.publishes.get(str(data.get("publish_id") or ""))
        if job is None:
            return _error(40007, "invalid publish_id")
        job.polls += 1
        self._settle(job)
        body: dict[str, Any] = {"publish_id": job.publish_id, "publish_status": job.status, "fail_idx": job.fail_idx}
        if job.article_id:
            article = self.articles[job.article_id]
            body["article_id"] = job.article_id
            body["article_detail"] = {
                "count": len(article.news_item),
                "item": [{"idx": i, "article_url": it["url"]} for i, it in enumerate(article.news_item, start=1)],
            }
        return json_response(body)

    def _batchget(self, request: Request, data: dict[str, Any]) -> Response:
        try:
            offset, count = int(data.get("offset", 0)), int(data.get("count", 0))
        except (TypeError, ValueError):
            return _error(40035)
        if offset < 0 or not 1 <= count <= 20:
            return _error(40035)
        self._settle_all()
        newest_first = sorted(self.articles.values(), key=lambda a: a.update_time, reverse=True)
        page = newest_first[offset : offset + count]
        no_content = bool(data.get("no_content"))
        items = []
        for article in page:
            news = [
                {k: v for k, v in it.items() if k not in ("received_content", "dropped_images") and not (no_content and k == "content")}
                | ({"is_deleted": article.is_deleted or bool(it.get("is_deleted"))})
                for it in article.news_item
            ]
            items.append({"article_id": article.article_id, "content": {"news_item": news}, "update_time": article.update_time})
        return json_response({"total_count": len(newest_first), "item_count": len(items), "item": items})

    def _delete(self, request: Request, data: dict[str, Any]) -> Response:
        if not self.verified:
            return _error(48001)
        article = self.articles.get(str(data.get("article_id") or ""))
        if article is None:
            return _error(40007, "invalid article_id")
        try:
            index = int(data.get("index") or 0)  # 1-based; 0 or missing = every article of the message
        except (TypeError, ValueError):
            return _error(40035)
        if not 0 <= index <= len(article.news_item):
            return _error(40035)
        self.deletes.append((article.article_id, index))
        for news in article.news_item if index == 0 else [article.news_item[index - 1]]:
            news["is_deleted"] = True
        if all(news["is_deleted"] for news in article.news_item):
            article.is_deleted = True
            article.status = 5
            self.publishes[article.publish_id].status = 5
        return _ok()

    def _article_page(self, request: Request) -> Response:
        """The public page of an article (when ``article_base`` points at this sandbox)."""
        with self._state_lock:
            self._settle_all()
            article = self.articles.get(request.params["article_id"])
            index = int(request.params["index"])
            if (article is None or article.is_deleted or not 1 <= index <= len(article.news_item)
                    or article.news_item[index - 1].get("is_deleted")):
                return html_response("<p>该内容已被发布者删除</p>", 404)
            news = article.news_item[index - 1]
            return html_response(f"<html><head><meta charset='utf-8'><title>{escape(news['title'])}</title></head>"
                                 f"<body><h1>{escape(news['title'])}</h1>{news['content']}</body></html>")

    # ----------------------------------------------------------------- sandbox control over HTTP

    def _http_inject_errcode(self, request: Request) -> Response:
        spec = request.json()
        self.inject_errcode(spec["path"], int(spec["errcode"]), int(spec.get("times", 1)), spec.get("errmsg"))
        return json_response({"ok": True})

    def _http_next_status(self, request: Request) -> Response:
        spec = request.json()
        self.force_next_status(int(spec["status"]), int(spec.get("times", 1)))
        return json_response({"ok": True})

    def _http_state(self, request: Request) -> Response:
        with self._state_lock:
            self._settle_all()
            return json_response(
                {
                    "token_calls": self.token_calls,
                    "stable_token_calls": self.stable_token_calls,
                    "uploaded_images": len(self.uploaded_images),
                    "material_uploads": self.material_uploads,
                    "draft_adds": self.draft_adds,
                    "submits": self.submits,
                    "articles": len(self.articles),
                    "live_articles": sum(1 for a in self.articles.values() if not a.is_deleted),
                    "calls": self.calls,
                }
            )


def clean_content(html: str) -> tuple[str, int]:
    """What the platform keeps of a body: scripts stripped, images off its CDN dropped.

    Returns the stored HTML and how many ``<img>`` were dropped.
    """
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    dropped = 0
    for img in soup.find_all("img"):
        if urlsplit(img.get("src") or "").hostname != CDN_HOST:
            img.decompose()
            dropped += 1
    for tag in soup.find_all(True):
        for attr in [a for a in tag.attrs if a.lower().startswith("on")]:
            del tag[attr]
    for link in soup.find_all("a"):
        host = urlsplit(link.get("href") or "").hostname or ""
        if not (host == "mp.weixin.qq.com" or host.endswith(".weixin.qq.com")):
            link.unwrap()
    return str(soup), dropped


SANDBOX = SandboxEmulator("wechat", 8702, lambda clock: WechatEmulator(clock=clock))
