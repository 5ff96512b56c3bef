"""The console's pages (Chinese, server-rendered; forms carry the session's CSRF token)."""

from __future__ import annotations

import calendar
import hashlib
import re
import secrets
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from publisher.ledger import audit
from publisher.review import workflow as review
from publisher.delivery import corrections as updating
from publisher.delivery.actions import retract_item, retry_item, settle_item
from publisher.delivery.reconcile_guard import alerts as reconcile_alerts
from publisher.db.engine import reading
from publisher.items.editing import edit_item
from publisher.items.validity import set_validity
from publisher.errors import InputError, NotFound, PublisherError, Refused
from publisher.items.checking import check_stored_item, mask_stored_item
from publisher.ledger.search import office_table
from publisher.ledger.listing import PER_PAGE_MAX, Filters, list_items, month_schedule, month_total, parse_date
from publisher.items.intake import CATALOGUE_INPUTS, ItemRequest, insert, parse_time, prepare
from publisher.report.tally import tally
from publisher.accounts.passwords import policy_for
from publisher.foundation.filenames import safe_filename
from publisher.accounts.users import (
    Actor, Role, add_user, get_user, list_users, offices_with_users, set_disabled, set_password,
)
from publisher.web import views
from publisher.web.security import CSRF_FIELD, EDITOR_CSP, PREVIEW_CSP, SESSION_COOKIE, LoginRefused
from publisher.web.common import ID_MAX, ApiError, ItemId
from publisher.web.console import console_of
from publisher.web.word_upload import docx_to_html
from publisher.web import body_images
from publisher.web.pages_uploads import form_attachments, staged_body
from publisher.foundation.i18n import _, shown
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.foundation import labels

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "publisher_login_csrf"
CALENDAR_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")  # ?at= from the calendar (a local time)


def _page(request: Request, template: str, actor: Actor | None, status: int = 200, **ctx: Any) -> HTMLResponse:
    console = console_of(request)
    session = getattr(request.state, "session", None)
    waiting = 0
    if actor is not None:
        try:
            waiting = sum(1 for e in review.inbox(console.app, actor, mine=True) if e.get("waiting_for") == "me")
        except PublisherError:
            waiting = 0
    return console.templates.TemplateResponse(request, template, {
        "user": actor, "csrf": session.csrf if session else "", "waiting": waiting,
        "notice": request.query_params.get("notice", "")[:200], "nav": template.split(".")[0], **ctx},
        status_code=status)


def _actor(request: Request) -> Actor:
    return console_of(request).actor(request, api=False)


async def _form(request: Request) -> Any:
    form = await request.form()
    console_of(request).check_csrf(request, form.get(CSRF_FIELD))
    return form


def _back(path: str, notice: str = "") -> RedirectResponse:
    return RedirectResponse(path + (("?notice=" + quote(notice)) if notice else ""), status_code=303)


def _safe_next(target: str | None) -> str:
    safe = target and target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target
    return target if safe else "/"


# -- login ---------------------------------------------------------------------------------------------------

def _login_offices(request: Request, given: str = "") -> dict:
    """What the login form says of the office: a field when several offices have users (pre-filled with the one
    given, e.g. by a bookmarked ``/login?office=CODE``, else the configured one), a hidden value when there is one."""
    app = console_of(request).app
    offices = offices_with_users(app.store)
    default = offices[0] if len(offices) == 1 else app.config.office.code
    return {"office_value": given[:64] or default, "office_field": len(offices) > 1}


@router.get("/login")
def login_form(request: Request, next: str = "/", office: str = ""):
    token = secrets.token_urlsafe(24)
    response = _page(request, "login.html", None, next=_safe_next(next), login_csrf=token, error="",
                     **_login_offices(request, office.strip()))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=console_of(request).secure_cookies, path="/login")
    return response


@router.post("/login")
async def login(request: Request):
    console = console_of(request)
    form = await request.form()
    target = _safe_next(str(form.get("next") or "/"))
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not cookie or not secrets.compare_digest(cookie, str(form.get(CSRF_FIELD) or "")):
        raise ApiError(403, "csrf", "登录表单已过期，请刷新页面后重试")
    name, password = str(form.get("name") or "").strip(), str(form.get("password") or "")
    office = str(form.get("office") or "").strip()[:64] or None
    address = request.client.host if request.client else "?"
    try:
        actor = await run_in_threadpool(console.guard.login, name, password, address, office)
    except LoginRefused as exc:
        response = _page(request, "login.html", None, status=429 if exc.locked else 401, next=target,
                         login_csrf=cookie, error=str(exc), **_login_offices(request, office or ""))
        return response
    sid, _ = console.sessions.open(actor, console.app.clock.now())
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax", secure=console.secure_cookies,
                        max_age=int(console.sessions.lifetime.total_seconds()), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request):
    console = console_of(request)
    actor = _actor(request)
    await _form(request)
    sid, _ = console.session(request)
    console.sessions.close(sid)
    with console.app.store.transaction() as conn:
        console.app.store.event(conn, EventKind.LOGOUT, actor=actor.name, office=actor.office)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- 工作台 ---------------------------------------------------------------------------------------------------

@router.get("/")
def dashboard(request: Request):
    actor = _actor(request)
    app = console_of(request).app
    inbox = review.inbox(app, actor, mine=True)
    return _page(request, "dashboard.html", actor,
                 my_steps=[e for e in inbox if e.get("waiting_for") == "me"],
                 my_rejected=[e for e in inbox if e["state"] == review.ReviewState.REJECTED],
                 my_drafts=[e for e in inbox if e["state"] == review.ReviewState.DRAFT],
                 today=views.today_schedule(app, actor.office), paused=app.store.paused_channels(),
                 risks=views.inspection_risks(app, actor.office), attention=views.attention(app, actor.office),
                 records=views.record_warnings(app, actor.office),
                 reconcile_alerts=reconcile_alerts(app))


# -- queue and calendar --------------------------------------------------------------------------------------

@router.get("/items")
def queue_page(request: Request, status: str = "", channel: str = "", category: str = "", q: str = "",
               since: str = "", until: str = "", page: int = 1):
    actor = _actor(request)
    app = console_of(request).app
    filters = Filters(office=actor.office, status=status or None, channel=channel or None, category=category or None,
                      q=q or None, since=parse_date(since, "since"), until=parse_date(until, "until"),
                      abbreviations=office_table(app.config))
    found = list_items(app.store.engine, app.config.tz, filters, page=max(1, page), per_page=50)
    args = {k: v for k, v in dict(status=status, channel=channel, category=category, q=q, since=since,
                                   until=until).items() if v}
    return _page(request, "queue.html", actor, found=found, args=args, query=urlencode(args),
                 statuses=list(labels.STATUS), channels=app.config.channels, categories=app.config.categories)


# -- compose and edit -----------------------------------------------------------------------------------------

def _form_fields(app, form) -> dict[str, Any]:
    channels = [c for c in form.getlist("channels") if c]
    options: dict[str, dict[str, str]] = {}
    for name in app.config.channels:
        short = str(form.get(f"short_title.{name}") or "").strip()
        if short:
            options.setdefault(name, {})["title"] = short
    return {"title": str(form.get("title") or ""), "category": str(form.get("category") or ""),
            "body": str(form.get("body") or ""), "summary": str(form.get("summary") or ""),
            "department": str(form.get("department") or ""), "at": str(form.get("at") or ""),
            "channels": channels, "options": options, "key": str(form.get("key") or "").strip() or None,
            "leave": [c for c in form.getlist("leave") if c], "leave_reason": str(form.get("leave_reason") or ""),
            "catalogue": {name: str(form.get(name) or "").strip() for name in CATALOGUE_INPUTS
                          if str(form.get(name) or "").strip()}}


async def _docx_body(app, form, fields: dict) -> None:
    upload = form.get("docx")
    if upload is not None and getattr(upload, "filename", ""):
        fields["body"] = await docx_to_html(app, upload, fields["title"])


def _secret(request: Request) -> str:
    session = getattr(request.state, "session", None)
    return session.csrf if session else ""


def _editor_page(request: Request, actor: Actor, status: int = 200, **ctx: Any) -> HTMLResponse:
    """The compose page, with the policy its editor needs (inline style attributes of the document)."""
    response = _page(request, "compose.html", actor, status=status, **ctx)
    response.headers["Content-Security-Policy"] = EDITOR_CSP
    return response


# "title: …; channel wechat: …" (the core's join); in Chinese "标题：…; 渠道 wechat：…"
PROBLEM_SPLIT = re.compile(r";\s+(?=[\w.]+(?: [\w.-]+)?(?:: |：))")
CHANNEL_PROBLEM = re.compile(r"^(?:channel|渠道) ([\w.-]+)(?:: |：)(.*)$", re.S)


def _compose_ctx(app, fields: dict, *, item=None, error="") -> dict:
    errors = [p.strip() for p in PROBLEM_SPLIT.split(error) if p.strip()] if error else []
    problems: dict[str, list[str]] = {}
    for text in errors:
        named = CHANNEL_PROBLEM.match(text)
        if named:
            problems.setdefault(named.group(1), []).append(named.group(2))
    out = (DeliveryStatus.PUBLISHED, DeliveryStatus.PUBLISHING, DeliveryStatus.IN_DOUBT)  # a copy is (or may be) out
    fixed = [d["channel"] for d in item["deliveries"] if d["status"] in out
             and not updating.can_update(app, d["channel"])] if item else []
    fields.setdefault("leave", [])
    fields.setdefault("leave_reason", "")
    fields.setdefault("catalogue", {})
    fields.setdefault("kept", [])
    return {"fields": fields, "item": item, "problems": problems, "error": error, "errors": errors,
            "channels": app.config.channels, "categories": app.config.categories, "fixed_copies": fixed,
            "catalogue": app.config.catalogue}


def _local_input(app, when: datetime) -> str:
    return when.astimezone(app.config.tz).strftime("%Y-%m-%dT%H:%M")


@router.get("/compose")
def compose_form(request: Request, at: str = ""):
    actor = _actor(request)
    app = console_of(request).app
    fields = {"title": "", "category": app.config.categories[0], "body": "", "summary": "", "department": "",
              "at": at[:16] if CALENDAR_TIME.fullmatch(at[:16]) else "", "channels": [], "options": {}, "key": ""}
    return _editor_page(request, actor, **_compose_ctx(app, fields))


@router.post("/compose")
async def compose(request: Request):
    actor = _actor(request)
    app = console_of(request).app
    form = await _form(request)
    fields = _form_fields(app, form)
    try:
        actor.require(actor.role.edits, "role", f"{actor.name} 不是编辑：只有编辑可以新建信息")
        with tempfile.TemporaryDirectory(prefix="publisher-upload-") as tmp:
            attach, fields["kept"] = await form_attachments(app, form, _secret(request), Path(tmp))
            await _docx_body(app, form, fields)
            body = await run_in_threadpool(staged_body, app, fields["body"], Path(tmp))
            request_ = ItemRequest(title=fields["title"], category=fields["category"], body=body,
                                   channels=fields["channels"], at=fields["at"] or None,
                                   department=fields["department"], summary=fields["summary"],
                                   options=fields["options"], attach=attach, key=fields["key"],
                                   catalogue=fields["catalogue"], base_dir=Path(tmp))
            item_id = await run_in_threadpool(
                lambda: insert(app, [prepare(app, request_)], source="console", actor=actor)[0])
    except (InputError, Refused) as exc:
        return _editor_page(request, actor, status=422, **_compose_ctx(app, fields, error=str(exc)))
    return _back(f"/items/{item_id}", "已保存为草稿")


@router.get("/items/{item_id}/edit")
def edit_form(request: Request, item_id: ItemId):
    actor = _actor(request)
    app = console_of(request).app
    item = views.item_json(app, actor, item_id)
    fields = {"title": item["title"], "category": item["category"],
              "body": body_images.for_editor(views.body_of(app, item_id)),
              "summary": item["summary"], "department": item["department"],
              "at": _local_input(app, item["publish_at"]) if item.get("time_given", True) else "", "channels": [d["channel"] for d in item["deliveries"]],
              "options": item["channel_options"], "key": item["key"] or ""}
    return _editor_page(request, actor, **_compose_ctx(app, fields, item=item))


@router.post("/items/{item_id}/edit")
async def edit(request: Request, item_id: ItemId):
    actor = _actor(request)
    app = console_of(request).app
    item = views.item_json(app, actor, item_id)
    form = await _form(request)
    fields = _form_fields(app, form)
    try:
        with tempfile.TemporaryDirectory(prefix="publisher-upload-") as tmp:
            attach, fields["kept"] = await form_attachments(app, form, _secret(request), Path(tmp))
            await _docx_body(app, form, fields)
            body = await run_in_threadpool(staged_body, app, fields["body"], Path(tmp))
            await run_in_threadpool(lambda: edit_item(
                app, actor, item_id, title=fields["title"], body=body, summary=fields["summary"], base_dir=Path(tmp),
                category=fields["category"], channels=fields["channels"], at=fields["at"] or None,
                department=fields["department"], options=fields["options"], attach=attach or None,
                leave=fields["leave"], reason=fields["leave_reason"] or None))
    except (InputError, Refused) as exc:
        return _editor_page(request, actor, status=422, **_compose_ctx(app, fields, item=item, error=str(exc)))
    return _back(f"/items/{item_id}", "已保存修改")


# -- the item page ---------------------------------------------------------------------------------------------

@router.get("/items/{item_id}")
def item_page(request: Request, item_id: ItemId):
    actor = _actor(request)
    app = console_of(request).app
    item = views.item_json(app, actor, item_id, with_events=True)
    shown = review.show(app, actor, item_id)
    previews = []
    for d in item["deliveries"]:
        if d["channel"] in app.config.channels:
            view = views.stored_view(app, item_id, d["channel"])
            previews.append({"channel": d["channel"], "problems": views.channel_problems(app, view, d["channel"])})
    may_decide = any(e["id"] == item_id and e.get("waiting_for") == "me"
                     for e in review.inbox(app, actor, mine=True))
    paired = review.waiting_interpretations(app, actor, item_id) if may_decide else []
    return _page(request, "item.html", actor, item=item, review=shown, previews=previews, may_decide=may_decide,
                 paired=paired, today=app.clock.now().astimezone(app.config.tz).date().isoformat(),
                 operates=bool(actor.role and actor.role.operates), edits=bool(actor.role and actor.role.edits),
                 diff=views.diff_since_approval(app, item_id), steps=review.steps(app),
                 paused=app.store.paused_channels())


@router.get("/items/{item_id}/preview/{channel}")
def preview(request: Request, item_id: ItemId, channel: str):
    actor = _actor(request)
    app = console_of(request).app
    views.item_json(app, actor, item_id)  # office scoping
    if channel not in app.config.channels:
        raise NotFound(_("no channel {channel!r}").format(channel=channel))
    page = views.preview_html(app, views.stored_view(app, item_id, channel), channel)
    return HTMLResponse(page, headers={"Content-Security-Policy": PREVIEW_CSP, "X-Frame-Options": "SAMEORIGIN"})


ACTIONS = ("submit", "approve", "reject", "retract", "retry", "settle", "mask", "check", "validity")


@router.post("/items/{item_id}/{action}")
async def item_action(request: Request, item_id: ItemId, action: str):
    actor = _actor(request)
    app = console_of(request).app
    if action not in ACTIONS:
        raise NotFound(_("no action {action!r}").format(action=action))
    form = await _form(request)
    get = lambda key: str(form.get(key) or "").strip()  # noqa: E731

    def run() -> str:
        if action == "submit":
            review.submit(app, actor, item_id)
            return "已提交审核"
        if action == "approve":
            paired = get("with_interpretations") == "1"
            review.approve(app, actor, item_id, comment=get("comment"), override=get("override") or None,
                           with_interpretations=paired)
            return "已通过（连同解读）" if paired else "已通过"
        if action == "validity":
            return _validity_notice(app, set_validity(app, actor, item_id, get("set"), get("on"), get("basis"),
                                                 _item_id(get("by"))))
        if action == "reject":
            review.reject(app, actor, item_id, comment=get("comment"))
            return "已退回编辑"
        if action == "retract":
            if not get("reason"):
                raise InputError("撤回须填写原因", field="reason")
            retract_item(app, item_id, get("reason"), actor=actor)
            return "已撤回"
        if action == "retry":
            done = retry_item(app, item_id, get("channel") or None, actor=actor)
            return "将重试：" + "、".join(_channel_name(app, c) for c in done) if done else "没有可重试的投递"
        if action == "settle":
            when = parse_time(get("at"), app, field_name="at") if get("at") else None
            settle_item(app, item_id, get("channel"), url=get("url"), published_at=when, actor=actor)
            return "已登记为已发布"
        if action == "mask":
            result = mask_stored_item(app, actor, item_id)
            return f"已脱敏 {result['masked']} 处"
        result = check_stored_item(app, actor, item_id)
        return f"审查完成：{len(result['findings'])} 个问题"

    try:
        notice = await run_in_threadpool(run)
    except (InputError, Refused) as exc:
        notice = f"未完成：{exc}"
    return _back(f"/items/{item_id}", notice)


def _channel_name(app, name: str) -> str:
    settings = app.config.channels.get(name)
    return (settings.display_name if settings else None) or name


def _item_id(text: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        raise InputError(_("give the id of an item"), field="by")
    return int(text)


def _validity_notice(app, done: dict) -> str:
    notice = f"已登记为{done['validity']}（{done['validity_on']}）"
    if done["updated"]:
        notice += "；将更新：" + "、".join(_channel_name(app, c) for c in done["updated"])
    if done["left"]:
        notice += "；保留原样：" + "、".join(f"{_channel_name(app, x['channel'])}（{shown(x['reason'])}）"
                                         for x in done["left"])
    return notice


# -- review inbox, tallies, audit, users -------------------------------------------------------------------

@router.get("/review")
def review_page(request: Request, all: int = 0):
    actor = _actor(request)
    app = console_of(request).app
    return _page(request, "review.html", actor, entries=review.inbox(app, actor, mine=not all), show_all=bool(all))


@router.get("/tally")
def tally_page(request: Request, year: int = 0):
    actor = _actor(request)
    app = console_of(request).app
    today = app.clock.now().astimezone(app.config.tz).date()
    year = year or (today.year - 1 if today.month <= 3 else today.year)  # January–March: last year's report season
    if not 1900 <= year <= 9998:
        raise InputError(_("between 1900 and 9998"), field="year")
    t = tally(app.store, app.config, year, office=actor.office)
    months = views.monthly(app, actor.office, year)
    labels = {n: (s.display_name or n) for n, s in app.config.channels.items()}
    return _page(request, "tally.html", actor, t=t, year=year, chart=views.month_chart_svg(months, labels),
                 months=months)


@router.get("/audit")
def audit_page(request: Request, item: str = "", user: str = "", since: str = "", page: int = 1):
    actor = _actor(request)
    app = console_of(request).app
    item_id = int(item) if item.strip().isdecimal() else None
    if item.strip() and item_id is None:
        raise InputError(_("{item!r} is not an item id").format(item=item), field="item")
    when = parse_time(since, app, field_name="since") if since.strip() else None
    per = 100
    with reading(app.store.engine) as conn:
        if item_id is not None:
            review.item_in_office(conn, actor, item_id)
        rows = audit.query(conn, office=actor.office, item_id=item_id, actor=user.strip() or None, since=when,
                           limit=per + 1, offset=(max(1, page) - 1) * per)
    args = {k: v for k, v in dict(item=item, user=user, since=since).items() if v}
    return _page(request, "audit.html", actor, rows=rows[:per], more=len(rows) > per, page=max(1, page),
                 args=args, query=urlencode(args))


def _require_admin(actor: Actor) -> None:
    actor.require(actor.role is Role.ADMIN, "role", "只有管理员可以管理用户")


@router.get("/users")
def users_page(request: Request):
    actor = _actor(request)
    _require_admin(actor)
    app = console_of(request).app
    return _page(request, "users.html", actor, users=list_users(app.store, actor.office), roles=list(Role), error="",
                 tokens=_office_tokens(app, actor))


def _office_tokens(app, actor: Actor) -> list[dict]:
    """Every API token of the office's users (never the token itself), newest first."""
    from publisher.accounts.users import list_tokens

    rows = [{**t, "user": u["name"]} for u in list_users(app.store, actor.office) for t in list_tokens(app.store, u["name"], actor.office)]
    return sorted(rows, key=lambda r: r["id"], reverse=True)


def _token_action(request: Request, app, actor: Actor, form, action: str):
    """Issue a token (shown once, on this page: never in a URL) or revoke one, for a user of the admin's office."""
    from publisher.accounts.users import new_token, revoke_token, token_owner

    shown = ""
    try:
        if action == "token":
            name = str(form.get("name") or "").strip()
            _same_office(app, actor, name)
            days = str(form.get("expires") or "").strip()
            shown = new_token(app.store, name, actor=actor.name, office=actor.office, label=str(form.get("label") or "").strip(),
                              expires_days=_token_days(days, app))
        else:
            token_id = _form_int(form.get("token_id"), "token_id")
            if token_owner(app.store, token_id)["office"] != actor.office:
                raise NotFound(_("no token {id}").format(id=token_id))
            revoke_token(app.store, token_id, actor=actor.name)
    except (InputError, Refused, NotFound) as exc:
        return _page(request, "users.html", actor, status=422, users=list_users(app.store, actor.office),
                     roles=list(Role), error=str(exc), tokens=_office_tokens(app, actor))
    if not shown:
        return _back("/users", "已吊销令牌")
    return _page(request, "users.html", actor, users=list_users(app.store, actor.office), roles=list(Role), error="",
                 tokens=_office_tokens(app, actor), new_token=shown)


def _token_days(given: str, app) -> float | None:
    if not given:
        return app.config.console.token_days
    try:
        days = float(given)
    except ValueError:
        days = -1
    if not 0 < days <= 3650:
        raise InputError(_("a number of days from 1 to 3650"), field="expires")
    return days


def _form_int(value, field_name: str) -> int:
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18 or not 1 <= int(text) <= ID_MAX:
        raise InputError(_("must be a whole number from 1 to {max}").format(max=ID_MAX), field=field_name)
    return int(text)


@router.post("/users")
async def users_action(request: Request):
    actor = _actor(request)
    _require_admin(actor)
    console = console_of(request)
    app = console.app
    form = await _form(request)
    action = str(form.get("action") or "add")
    name = str(form.get("name") or "").strip()
    if action in ("token", "revoke"):
        return await run_in_threadpool(_token_action, request, app, actor, form, action)
    try:
        if action == "add":
            await run_in_threadpool(lambda: add_user(
                app.store, name, str(form.get("role") or ""), actor.office,
                display_name=str(form.get("display_name") or "").strip(),
                password=str(form.get("password") or "") or None, created_by=actor.name,
                policy=policy_for(app.config)))
            notice = f"已添加用户 {name}"
        elif action in ("disable", "enable"):
            _same_office(app, actor, name)
            if name == actor.name and action == "disable":
                raise Refused("self", "不能停用自己的账号")
            set_disabled(app.store, name, action == "disable", actor=actor.name, office=actor.office)
            if action == "disable":
                console.sessions.close_user(get_user(app.store, name, actor.office)["id"])
            notice = f"已{'停用' if action == 'disable' else '启用'}用户 {name}"
        elif action == "password":
            _same_office(app, actor, name)
            sid, _session = console.session(request)
            keep = hashlib.sha256(sid.encode()).hexdigest() if sid and name == actor.name else None
            await run_in_threadpool(lambda: set_password(app.store, name, str(form.get("password") or ""),
                                                         actor=actor.name, office=actor.office, keep_session=keep,
                                                         policy=policy_for(app.config)))
            notice = f"已为 {name} 设置新密码"
        else:
            raise InputError(_("unknown action {action!r}").format(action=action), field="action")
    except (InputError, Refused, NotFound) as exc:
        return _page(request, "users.html", actor, status=422, users=list_users(app.store, actor.office),
                     roles=list(Role), error=str(exc), tokens=_office_tokens(app, actor))
    return _back("/users", notice)


def _same_office(app, actor: Actor, name: str) -> None:
    """NotFound unless the admin's office has a user of that name (another office's users are not there at all)."""
    get_user(app.store, name, actor.office)
