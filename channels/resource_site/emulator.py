"""Emulator of a legacy, server-rendered trading-centre site: GBK pages, CSRF forms, sessions, a listing.

Follows the platform's contract in channels/resource_site/README.md: a login form with hidden inputs (a CSRF token
that changes on every form load), a multipart submission form, validation errors on HTTP 200 pages,
session expiry by an injectable clock, and a paginated public listing (newest first).

As real sites do: the listing can be filtered by column (``?category=VALUE``), shows each notice's
publication date (the form's ``pubDate`` field, else the day it was saved), and a save can be slow
(``save_seconds``, or ``save_gate``, an Event the save waits for): the notice is listed only once it commits.
"""

from __future__ import annotations

import html
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from publisher.sandbox.registry import SandboxEmulator
from publisher.sandbox.server import Emulator, Request, Response, parse_multipart

SITE_TZ = timezone(timedelta(hours=8))  # the site shows dates in China time


@dataclass(frozen=True)
class SiteLayout:
    """Paths, field names and markup of one emulated site, so tests can prove adapters are config-driven."""

    login_page: str = "/login.jsp"
    login_action: str = "/login.do"
    home_page: str = "/admin/index.jsp"
    form_page: str = "/admin/notice_add.jsp"
    save_action: str = "/admin/notice_save.do"
    delete_page: str = "/admin/notice_del.jsp"
    delete_action: str = "/admin/notice_del.do"
    list_page: str = "/notice/list.jsp"
    notice_page: str = "/notice/{id}.jsp"
    cookie_name: str = "JSESSIONID"
    user_field: str = "userName"
    password_field: str = "userPwd"
    csrf_field: str = "csrfToken"
    state_field: str = "__VIEWSTATE"
    title_field: str = "title"
    content_field: str = "content"
    category_field: str = "category"
    date_field: str = "pubDate"
    attachment_fields: tuple[str, ...] = ("attachment",)
    categories: tuple[tuple[str, str], ...] = (("11", "招标公告"), ("12", "中标公示"), ("13", "其他公告"))
    success_text: str = "保存成功"
    error_class: str = "errmsg"
    list_class: str = "notice-list"
    page_size: int = 20
    list_title_chars: int = 28
    max_title_length: int = 100


#: A differently built site (other paths, names, markup), used to show a new site is config only.
ALTERNATE_LAYOUT = SiteLayout(
    login_page="/portal/signin.aspx",
    login_action="/portal/signin.aspx",
    home_page="/portal/main.aspx",
    form_page="/portal/article/edit.aspx",
    save_action="/portal/article/post.aspx",
    delete_page="/portal/article/remove.aspx",
    delete_action="/portal/article/remove.aspx",
    list_page="/portal/articles.aspx",
    notice_page="/portal/article/view.aspx?aid={id}",
    cookie_name="ASP.NET_SessionId",
    user_field="txtUser",
    password_field="txtPass",
    csrf_field="__RequestVerificationToken",
    state_field="__EVENTVALIDATION",
    title_field="txtTitle",
    content_field="txtBody",
    category_field="ddlColumn",
    attachment_fields=("fileUp1", "fileUp2"),
    categories=(("zb", "招标公告"), ("jg", "结果公示")),
    success_text="发布成功",
    error_class="validation-summary",
    list_class="articles",
    page_size=5,
    list_title_chars=0,
    max_title_length=60,
)


@dataclass
class Notice:
    """One notice the site accepted."""

    id: int
    title: str
    content: str
    category: str
    attachments: list[dict[str, Any]]
    created_at: datetime
    fields: dict[str, str] = field(default_factory=dict)
    deleted: bool = False
    publish_date: str | None = None  # yyyy-mm-dd as the editor entered it


@dataclass
class _Session:
    user: str | None
    last_seen: datetime
    tokens: dict[str, str] = field(default_factory=dict)  # form name -> the one valid CSRF token


class ResourceSiteEmulator(Emulator):
    """A legacy trading-centre site; ``notices`` keeps every notice it accepted (deleted ones are flagged)."""

    name = "resource_site"

    def __init__(
        self,
        username: str = "editor",
        password: str = "sandbox-site-password",
        encoding: str = "gbk",
        clock: Any = None,
        session_ttl: float = 1800,
        layout: SiteLayout | None = None,
        save_seconds: float = 0.0,
    ):
        super().__init__()
        self.save_seconds = save_seconds
        self.save_gate: threading.Event | None = None
        self.saving = threading.Event()  # set while a save is held
        self.username = username
        self.password = password
        self.encoding = encoding
        self.session_ttl = timedelta(seconds=session_ttl)
        self.layout = layout or SiteLayout()
        self._clock = clock
        self.notices: list[Notice] = []
        self.logins = 0
        self.submissions = 0  # POSTs to the save action, accepted or not
        self._sessions: dict[str, _Session] = {}
        self._ids = 1000
        self._data_lock = threading.RLock()
        lay = self.layout
        self.route("GET", re.escape(lay.login_page), self._login_page)
        self.route("POST", re.escape(lay.login_action), self._login)
        self.route("GET", re.escape(lay.home_page), self._home)
        self.route("GET", re.escape(lay.form_page), self._form)
        self.route("POST", re.escape(lay.save_action), self._save)
        self.route("GET", re.escape(lay.delete_page), self._delete_form)
        self.route("POST", re.escape(lay.delete_action), self._delete)
        self.route("GET", re.escape(lay.list_page), self._list)
        page_path = lay.notice_page.split("?")[0]
        if "{id}" in page_path:
            self.route("GET", re.escape(page_path).replace(re.escape("{id}"), r"(?P<id>\d+)"), self._notice)
        else:
            self.route("GET", re.escape(page_path), self._notice)

    # -- test hooks -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The emulator's current time (from the injected clock, else the wall clock)."""
        if self._clock is None:
            return datetime.now(timezone.utc)
        return self._clock.now() if hasattr(self._clock, "now") else self._clock()

    def expire_sessions(self) -> None:
        """Forget every session, as when the server restarts or the sessions time out."""
        with self._data_lock:
            self._sessions.clear()

    def live_notices(self) -> list[Notice]:
        """Notices not deleted, oldest first."""
        with self._data_lock:
            return [n for n in self.notices if not n.deleted]

    def add_notice(self, title: str, category: str | None = None, content: str = "<p>x</p>",
                   created_at: datetime | None = None) -> Notice:
        """Put a notice on the site directly (for seeding listings in tests)."""
        with self._data_lock:
            self._ids += 1
            notice = Notice(self._ids, title, content, category or self.layout.categories[0][0], [],
                            created_at or self.now())
            self.notices.append(notice)
            return notice

    # -- sessions and pages -----------------------------------------------------------------------

    def _page(self, title: str, body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        text = (
            '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n'
            f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={self.encoding}">'
            f"<title>{html.escape(title)} - 公共资源交易中心</title></head>\n<body>\n{body}\n</body></html>"
        )
        return Response(
            status,
            text.encode(self.encoding, "xmlcharrefreplace"),
            {"Content-Type": f"text/html; charset={self.encoding}", **(headers or {})},
        )

    def _session(self, request: Request) -> tuple[str | None, _Session | None]:
        cookie = request.header("cookie") or ""
        match = re.search(rf"(?:^|;\s*){re.escape(self.layout.cookie_name)}=([^;]+)", cookie)
        if not match:
            return None, None
        sid = match.group(1)
        now = self.now()
        with self._data_lock:
            sess = self._sessions.get(sid)
            if sess is None:
                return sid, None
            if now - sess.last_seen > self.session_ttl:
                del self._sessions[sid]
                return sid, None
            sess.last_seen = now
            return sid, sess

    def _new_session(self) -> tuple[str, _Session]:
        sid = secrets.token_hex(16).upper()
        sess = _Session(user=None, last_seen=self.now())
        with self._data_lock:
            self._sessions[sid] = sess
        return sid, sess

    def _cookie(self, sid: str) -> dict[str, str]:
        return {"Set-Cookie": f"{self.layout.cookie_name}={sid}; Path=/; HttpOnly"}

    def _token(self, sess: _Session, form: str) -> str:
        token = secrets.token_urlsafe(18)
        with self._data_lock:
            sess.tokens[form] = token
        return token

    def _viewstate(self, form: str) -> str:
        return f"dDwtMTA4{form.upper()}OzE0MjE7Pg=="

    def _check_token(self, sess: _Session, form: str, values: dict[str, str]) -> str | None:
        """An error message when the hidden inputs of ``form`` are missing or stale, else None."""
        if values.get(self.layout.state_field) != self._viewstate(form):
            return "非法请求：缺少页面状态参数"
        with self._data_lock:
            expected = sess.tokens.pop(form, None)
        if not expected or values.get(self.layout.csrf_field) != expected:
            return "页面已过期，请刷新页面后重新提交"
        return None

    def _hidden(self, sess: _Session, form: str) -> str:
        lay = self.layout
        return (
            f'<input type="hidden" name="{lay.state_field}" value="{self._viewstate(form)}">'
            f'<input type="hidden" name="{lay.csrf_field}" value="{self._token(sess, form)}">'
        )

    def _logged_in(self, request: Request) -> "_Session | Response":
        """The request's logged-in session, or the page an old site shows instead (login or timeout)."""
        _, sess = self._session(request)
        if sess is None or sess.user is None:
            return self._login_required(request)
        return sess

    def _login_required(self, request: Request) -> Response:
        if request.method == "GET":
            return Response(302, b"", {"Location": f"{self.layout.login_page}?timeout=1"})
        # A timed-out POST gets the classic 200 page with a script redirect and the login form.
        return self._login_form_page(None, "登录超时，请重新登录")

    def _login_form_page(self, sid: str | None, message: str = "") -> Response:
        if sid is None:
            sid, sess = self._new_session()
        else:
            with self._data_lock:
                sess = self._sessions.get(sid)
            if sess is None:
                sid, sess = self._new_session()
        lay = self.layout
        error = f'<div class="{lay.error_class}">{html.escape(message)}</div>' if message else ""
        body = (
            f"<h2>用户登录</h2>{error}"
            f'<form id="loginForm" name="loginForm" method="post" action="{lay.login_action}">'
            f"{self._hidden(sess, 'login')}"
            '<input type="hidden" name="returnUrl" value="">'
            f'用户名：<input type="text" name="{lay.user_field}" value="">'
            f'密码：<input type="password" name="{lay.password_field}" value="">'
            '<input type="submit" value="登 录"></form>'
        )
        if message.startswith("登录超时"):
            body = f'<script>top.location.href="{lay.login_page}";</script>' + body
        return self._page("用户登录", body, headers=self._cookie(sid))

    def _login_page(self, request: Request) -> Response:
        sid, sess = self._session(request)
        return self._login_form_page(sid if sess else None)

    def _login(self, request: Request) -> Response:
        lay = self.layout
        sid, sess = self._session(request)
        values = _first(request.form(self.encoding))
        if sess is None:
            return self._login_form_page(None, "页面已过期，请重新登录")
        problem = self._check_token(sess, "login", values)
        if problem:
            return self._login_form_page(sid, problem)
        if values.get(lay.user_field) != self.username or values.get(lay.password_field) != self.password:
            return self._login_form_page(sid, "用户名或密码错误")
        # A fresh session id after login, as careful old sites do (session fixation).
        with self._data_lock:
            self._sessions.pop(sid, None)
            self.logins += 1
        new_sid, new_sess = self._new_session()
        new_sess.user = self.username
        return Response(302, b"", {"Location": lay.home_page, **self._cookie(new_sid)})

    def _home(self, request: Request) -> Response:
        sess = self._logged_in(request)
        if isinstance(sess, Response):
            return sess
        lay = self.layout
        body = (
            f'<div id="userbar">欢迎您，{html.escape(sess.user)} | <a href="/logout.do" class="logout">退出</a></div>'
            f'<ul><li><a href="{lay.form_page}">发布公告</a></li><li><a href="{lay.list_page}">公告列表</a></li></ul>'
        )
        return self._page("后台管理", body)

    def _form(self, request: Request) -> Response:
        sess = self._logged_in(request)
        if isinstance(sess, Response):
            return sess
        lay = self.layout
        options = "".join(f'<option value="{v}">{html.escape(label)}</option>' for v, label in lay.categories)
        files = "".join(f'附件：<input type="file" name="{name}"><br>' for name in lay.attachment_fields)
        body = (
            f'<div id="userbar">欢迎您，{html.escape(sess.user)} | <a href="/logout.do" class="logout">退出</a></div>'
            '<form id="searchForm" method="get" action="/search.jsp"><input type="hidden" name="q" value=""></form>'
            f'<form id="noticeForm" name="noticeForm" method="post" action="{lay.save_action}" '
            'enctype="multipart/form-data">'
            f"{self._hidden(sess, 'notice')}"
            '<input type="hidden" name="siteId" value="3"><input type="hidden" name="op" value="save">'
            f'标题：<input type="text" name="{lay.title_field}" maxlength="{lay.max_title_length}" value=""><br>'
            f'栏目：<select name="{lay.category_field}"><option value="">--请选择--</option>{options}</select><br>'
            f'发布日期：<input type="text" name="{lay.date_field}" value="" placeholder="yyyy-mm-dd"><br>'
            f'内容：<textarea name="{lay.content_field}" rows="20" cols="80"></textarea><br>{files}'
            '<input type="checkbox" name="top" value="1">置顶 '
            '<input type="checkbox" name="audit" value="1" checked>直接发布<br>'
            '<input type="submit" value="保 存"></form>'
        )
        return self._page("发布公告", body)

    def _error(self, message: str) -> Response:
        body = (
            f'<div class="{self.layout.error_class}">{html.escape(message)}</div>'
            '<a href="javascript:history.back()">返回</a>'
        )
        return self._page("操作失败", body)

    def _save(self, request: Request) -> Response:
        with self._data_lock:
            self.submissions += 1
        sess = self._logged_in(request)
        if isinstance(sess, Response):
            return sess
        lay = self.layout
        try:
            fields, files = parse_form_post(request, self.encoding)
        except ValueError as exc:
            return self._error(f"非法请求：{exc}")
        problem = self._check_token(sess, "notice", fields)
        if problem:
            return self._error(problem)
        if fields.get("siteId") != "3" or fields.get("op") != "save":
            return self._error("非法请求：缺少站点参数")
        title = fields.get(lay.title_field, "").strip()
        content = fields.get(lay.content_field, "")
        category = fields.get(lay.category_field, "")
        if not title:
            return self._error("标题不能为空")
        if len(title) > lay.max_title_length:
            return self._error(f"标题长度不能超过{lay.max_title_length}个字")
        if not content.strip():
            return self._error("内容不能为空")
        if category not in dict(lay.categories):
            return self._error("请选择栏目")
        published = fields.get(lay.date_field, "").strip() or None
        if published is not None:
            try:
                datetime.strptime(published, "%Y-%m-%d")
            except ValueError:
                return self._error("发布日期格式不正确（yyyy-mm-dd）")
        attachments = [f for f in files if f["field"] in lay.attachment_fields and f["data"]]
        if self.save_gate is not None:
            self.saving.set()
            self.save_gate.wait(30)
        elif self.save_seconds:
            self.wait(self.save_seconds)
        with self._data_lock:
            self._ids += 1
            notice = Notice(self._ids, title, content, category, attachments, self.now(), fields,
                            publish_date=published)
            self.notices.append(notice)
        back = f'<a href="{lay.list_page}">返回列表</a>'
        return self._page("操作成功", f'<div class="msg">{lay.success_text}！</div>{back}')

    def _delete_form(self, request: Request) -> Response:
        sess = self._logged_in(request)
        if isinstance(sess, Response):
            return sess
        notice = self._find(request.arg("id"))
        if notice is None:
            return self._error("公告不存在或已删除")
        body = (
            f"<p>确定删除《{html.escape(notice.title)}》吗？</p>"
            f'<form id="delForm" method="post" action="{self.layout.delete_action}">{self._hidden(sess, "delete")}'
            f'<input type="hidden" name="id" value="{notice.id}"><input type="submit" value="删除"></form>'
        )
        return self._page("删除公告", body)

    def _delete(self, request: Request) -> Response:
        sess = self._logged_in(request)
        if isinstance(sess, Response):
            return sess
        values = _first(request.form(self.encoding))
        problem = self._check_token(sess, "delete", values)
        if problem:
            return self._error(problem)
        notice = self._find(values.get("id"))
        if notice is None:
            return self._error("公告不存在或已删除")
        with self._data_lock:
            notice.deleted = True
        return self._page("操作成功", '<div class="msg">删除成功！</div>')

    def _find(self, ident: str | None) -> Notice | None:
        with self._data_lock:
            for notice in self.notices:
                if str(notice.id) == ident and not notice.deleted:
                    return notice
        return None

    def _link(self, notice: Notice) -> str:
        return self.layout.notice_page.format(id=notice.id)

    def _list(self, request: Request) -> Response:
        lay = self.layout
        try:
            page = max(1, int(request.arg("page", "1") or "1"))
        except ValueError:
            page = 1
        column = request.arg("category")
        live = [n for n in reversed(self.live_notices()) if not column or n.category == column]
        total_pages = max(1, -(-len(live) // lay.page_size))
        chunk = live[(page - 1) * lay.page_size : page * lay.page_size]
        labels = dict(lay.categories)
        rows = []
        for notice in chunk:
            shown = notice.title
            if lay.list_title_chars and len(shown) > lay.list_title_chars:
                shown = shown[: lay.list_title_chars] + "..."
            rows.append(
                f'<li><span class="cat">[{html.escape(labels.get(notice.category, ""))}]</span>'
                f'<a href="{self._link(notice)}" title="{html.escape(notice.title)}" target="_blank">'
                f'{html.escape(shown)}</a><span class="date">{notice.publish_date or f"{notice.created_at.astimezone(SITE_TZ):%Y-%m-%d}"}</span></li>'
            )
        pager = f'<div class="pager">第{page}/{total_pages}页 共{len(live)}条</div>'
        body = f'<ul class="{lay.list_class}">{"".join(rows)}</ul>{pager}'
        return self._page("公告列表", body)

    def _notice(self, request: Request) -> Response:
        notice = self._find(request.params.get("id") or request.arg("aid") or request.arg("id"))
        if notice is None:
            return self._page("错误", "<p>您访问的页面不存在</p>", status=404)
        body = f'<h1 class="title">{html.escape(notice.title)}</h1><div class="content">{notice.content}</div>'
        return self._page(notice.title, body)


def _first(values: dict[str, list[str]]) -> dict[str, str]:
    return {k: v[0] for k, v in values.items()}


def parse_form_post(request: Request, encoding: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Split a multipart/form-data post into text fields (decoded with ``encoding``) and files.

    Header parameters (names, file names) are decoded with the page encoding too, as browsers send them.
    """
    ctype = request.header("content-type") or ""
    if not ctype.lower().startswith("multipart/form-data") or "boundary=" not in ctype:
        raise ValueError("表单编码不是 multipart/form-data")
    fields: dict[str, str] = {}
    files: list[dict[str, Any]] = []
    for part in parse_multipart(request.body, ctype, encoding):
        if part.name is None:
            raise ValueError("表单字段缺少名称")
        if part.filename is not None:
            files.append({"field": part.name, "filename": part.filename,
                          "content_type": part.content_type or "application/octet-stream", "data": part.data})
        else:
            fields[part.name] = part.data.decode(encoding, "replace")
    return fields, files


SANDBOX = SandboxEmulator("resource_site", 8703, lambda clock: ResourceSiteEmulator(clock=clock))
