"""The ASGI application: one FastAPI app serving the console at / and the JSON API under /api/."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from publisher.runtime.app import App
from publisher.errors import ConfigError, InputError, NotFound, PublisherError, Refused
from publisher.foundation.i18n import CHINESE, FIELD_NAMES, _, labelled, speaking
from publisher.accounts.users import Actor, get_user, actor_from_row, user_for_token
from publisher.foundation.validation_messages import validation_message
from publisher.web.security import (
    CSRF_FIELD, CSRF_HEADER, HEADERS, SESSION_COOKIE, LoginGuard, Session, Sessions, csrf_ok,
)

HERE = Path(__file__).parent
FIELD_PREFIX = re.compile(r"^(title|category|body|body_file|channel|option|at|department|author|summary|key|"
                          r"attach|docx|password|name|role|status|q|since|until|page|per_page|year|comment)\b: ")
def named_field(message: str) -> str | None:
    """The field a message starts with ("title: required", in Chinese "标题：必填"), or None."""
    named = FIELD_PREFIX.match(message)
    if named:
        return named.group(1)
    for name in FIELD_NAMES:
        if _(name) != name and message.startswith(labelled(name, "")):
            return name
    return None


CONFLICT_RULES = {"state", "concurrent", "retracted", "published", "cannot_update"}
log = logging.getLogger("publisher.web")


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message", "field"}}`` (HTML page on the console)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        self.status, self.code, self.message, self.field = status, code, message, field
        super().__init__(message)


class Console:
    """What every request needs: the App, sessions, the login guard, templates."""

    def __init__(self, app: App, *, secure_cookies: bool | None = None):
        settings = app.config.console
        self.app = app
        self.secure_cookies = settings.secure_cookies if secure_cookies is None else secure_cookies
        self.sessions = Sessions(app.store.engine, timedelta(hours=settings.session_hours))
        self.guard = LoginGuard(app.store, settings.login_attempts, settings.address_attempts,
                                timedelta(minutes=settings.lockout_minutes))
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescape is on for .html
        self.templates.env.globals.update(office=app.config.office, csrf_field=CSRF_FIELD)
        from publisher.web import filters
        filters.install(self.templates.env, app)

    # -- who is asking ------------------------------------------------------------------------------------
    def session(self, request: Request) -> tuple[str | None, Session | None]:
        """The request's session cookie and live session."""
        sid = request.cookies.get(SESSION_COOKIE)
        return sid, self.sessions.get(sid, self.app.clock.now())

    def actor(self, request: Request, *, api: bool) -> Actor:
        """The authenticated user (Bearer token, or the session with CSRF on unsafe methods); ApiError 401/403."""
        auth = request.headers.get("authorization", "")
        if api and auth:
            scheme, _, token = auth.partition(" ")
            actor = user_for_token(self.app.store, token.strip()) if scheme.lower() == "bearer" else None
            if actor is None:
                raise ApiError(401, "unauthenticated", "无效的令牌（Authorization: Bearer TOKEN）")
            return actor
        sid, session = self.session(request)
        if session is None:
            raise ApiError(401, "unauthenticated", "请先登录")
        try:
            row = get_user(self.app.store, session.user)
        except NotFound:
            row = None
        if row is None or row["disabled"]:
            self.sessions.close(sid)
            raise ApiError(401, "unauthenticated", "账号已停用，请重新登录")
        request.state.session = session
        return actor_from_row(row)

    def check_csrf(self, request: Request, given: str | None) -> None:
        """Refuse a session-authenticated state change without the session's CSRF token."""
        session = getattr(request.state, "session", None)
        if session is not None and not csrf_ok(session, given or request.headers.get(CSRF_HEADER)):
            raise ApiError(403, "csrf", "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def _as_api_error(exc: Exception) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, InputError):
        message, field = str(exc), exc.field
        if field is None:  # "title: required; category: ..." names the first field itself
            field = named_field(message)
        return ApiError(422, "invalid", message, field)
    if isinstance(exc, Refused):
        message = str(exc)
        return ApiError(409 if exc.rule in CONFLICT_RULES else 403, exc.rule, message)
    if isinstance(exc, NotFound):
        return ApiError(404, "not_found", str(exc))
    if isinstance(exc, ConfigError):
        return ApiError(400, "config", str(exc))
    return ApiError(500, "failed", str(exc))


class _InChinese:
    """The console and its API speak Chinese, as their pages do, whatever language the process's command
    line speaks (``PUBLISHER_LANG=en publisher serve`` must not give a half-English page)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        with speaking(CHINESE):
            await self.app(scope, receive, send)


def create_app(app: App, *, secure_cookies: bool | None = None) -> FastAPI:
    """The console and API over ``app`` (its store, clock and channels)."""
    console = Console(app, secure_cookies=secure_cookies)
    web = FastAPI(title="publisher API", version="1", openapi_url="/api/openapi.json", docs_url=None,
                  redoc_url=None, description="发布系统的 JSON API：与控制台、命令行同一套规则。")
    web.state.console = console
    web.add_middleware(_InChinese)

    @web.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for key, value in HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path in ("/healthz",)

    def render_error(request: Request, err: ApiError) -> Response:
        if wants_json(request):
            headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
            return JSONResponse(error_body(err.code, err.message, err.field), status_code=err.status,
                                headers=headers)
        if err.status == 401:
            return RedirectResponse("/login?next=" + request.url.path, status_code=303)
        return console.templates.TemplateResponse(request, "error.html", {"err": err, "user": None},
                                                  status_code=err.status)

    @web.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return render_error(request, exc)

    @web.exception_handler(PublisherError)
    async def _publisher_error(request: Request, exc: PublisherError):
        return render_error(request, _as_api_error(exc))

    @web.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        message = validation_message(first) if first else _("invalid input")
        return render_error(request, ApiError(422, "invalid", message, ".".join(loc) or None))

    @web.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
        return render_error(request, ApiError(exc.status_code, code, str(exc.detail)))

    @web.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return render_error(request, ApiError(500, "internal", "服务器内部错误（已记录日志）"))

    from publisher.web import api, health, pages
    web.include_router(api.router)
    web.include_router(health.router)
    web.include_router(pages.router)
    web.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return web


def console_of(request: Request) -> Console:
    """The Console behind a request."""
    return request.app.state.console


def as_json(value: Any) -> Any:
    """Datetimes as ISO strings, recursively (FastAPI does this, but our own dicts go through here too)."""
    from datetime import datetime

    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
