"""The ASGI application: one FastAPI app serving the console at / and the JSON API under /api/."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from publisher.runtime.app import App
from publisher.errors import ConfigError, InputError, NotFound, PublisherError, Refused
from publisher.foundation.i18n import CHINESE, FIELD_NAMES, _, labelled, speaking
from publisher.foundation.validation_messages import validation_message
from publisher.web import (api, health, pages, pages_calendar, pages_channels, pages_inspection, pages_registers,
                          pages_reposts, pages_review, pages_uploads)
from publisher.web.common import ApiError
from publisher.web.console import Console
from publisher.web.security import HEADERS, STATIC_CACHE

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
        if request.url.path.startswith("/static/"):  # the console's own files: kept, checked again at each use
            response.headers.setdefault("Cache-Control", STATIC_CACHE)
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

    _routes(web, console)
    return web


def _routes(web: FastAPI, console: Console) -> None:
    """The routers, in matching order: the workflow's before ``pages`` (whose ``/items/{id}/{action}`` would
    take ``/items/{id}/reschedule``); then the static files."""
    for module in (pages_review, pages_channels):
        module.install(console.templates.env, console.app)
        web.include_router(module.api)
        web.include_router(module.router)
    for module in (api, health, pages_calendar, pages_uploads, pages_registers, pages_reposts):
        web.include_router(module.router)
    pages_inspection.mount(web, console)
    web.include_router(pages.router)
    web.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
