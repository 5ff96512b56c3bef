"""转载任务 in the console (/reposts: the register, a form, an import) and the API (/api/reposts): the same
register and rules as ``publisher reposts``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from publisher.accounts.users import Actor
from publisher.errors import PublisherError
from publisher.foundation.filenames import safe_filename
from publisher.items.intake import parse_time
from publisher.reposts import carrying, imports, rates, tasks
from publisher.web.api import ERRORS, acting
from publisher.web.common import ItemId as TaskId, as_json
from publisher.web.console import console_of
from publisher.web.security import CSRF_FIELD

router = APIRouter()
User = Annotated[Actor, Depends(acting)]
Short = Annotated[str, Field(max_length=2000)]


class RepostIn(BaseModel):
    """The fields of ``reposts add``."""

    model_config = ConfigDict(extra="forbid")
    title: Short
    source_url: Short | None = None
    channels: list[Short] = Field(min_length=1, max_length=50)
    due_on: Short
    issuer: Short = ""
    category: Short | None = None


class DoneIn(BaseModel):
    """A copy made outside publisher: the account, where it is, when (default now)."""

    model_config = ConfigDict(extra="forbid")
    channel: Short
    url: Short
    at: Short | None = None


def _require_editor(actor: Actor) -> None:
    actor.require(not actor.is_user or actor.role.edits, "role", f"{actor.name}：只有编辑可以新建信息")


# -- API ---------------------------------------------------------------------------------------------------------

@router.get("/api/reposts", tags=["reposts"], responses=ERRORS)
def api_list(request: Request, actor: User, open: bool = False, year: int | None = Query(None, ge=1900, le=9999)):
    """The office's 转载任务 by deadline, each account's evidence (``reposts list --json``)."""
    app = console_of(request).app
    return [as_json(t.as_dict()) for t in tasks.list_tasks(app, actor.office, open_only=open, year=year)]


@router.post("/api/reposts", status_code=201, tags=["reposts"], responses=ERRORS)
def api_add(request: Request, actor: User, body: RepostIn):
    """Record one task; ``{"id"}``."""
    app = console_of(request).app
    fields = body.model_dump() | {"accounts": body.channels}
    return {"id": tasks.add_tasks(app, actor, [tasks.parse_task(app, fields)])[0]}


@router.get("/api/reposts/rates", tags=["reposts"], responses=ERRORS)
def api_rates(request: Request, actor: User, year: int = Query(ge=1900, le=9999)):
    """转载率 per account and quarter of ``year`` (carried on time / required), with each quarter's total."""
    app = console_of(request).app
    return rates.year_rates(app.store.engine, app.config, actor.office, year,
                            app.clock.now().astimezone(app.config.tz).date())


@router.get("/api/reposts/{task_id}", tags=["reposts"], responses=ERRORS)
def api_show(request: Request, actor: User, task_id: TaskId):
    """One task (``reposts show --json``)."""
    return as_json(tasks.get_task(console_of(request).app, actor.office, task_id).as_dict())


@router.post("/api/reposts/{task_id}/make", tags=["reposts"], responses=ERRORS)
def api_make(request: Request, actor: User, task_id: TaskId):
    """Queue the task's item for its channels and submit it for review; ``{"id", "item_id"}``."""
    _require_editor(actor)
    return {"id": task_id, "item_id": carrying.make_item(console_of(request).app, actor, task_id)}


@router.post("/api/reposts/{task_id}/done", tags=["reposts"], responses=ERRORS)
def api_done(request: Request, actor: User, task_id: TaskId, body: DoneIn):
    """Record a copy made outside publisher; the task as ``reposts show --json``."""
    app = console_of(request).app
    when = parse_time(body.at, app) if body.at else None
    return as_json(tasks.record_done(app, actor, task_id, body.channel, body.url, when).as_dict())


# -- console -----------------------------------------------------------------------------------------------------

def _page(request: Request, actor: Actor, **ctx: Any) -> HTMLResponse:
    console = console_of(request)
    app = console.app
    session = getattr(request.state, "session", None)
    today = app.clock.now().astimezone(app.config.tz).date()
    return console.templates.TemplateResponse(request, "reposts.html", {
        "user": actor, "csrf": session.csrf if session else "", "waiting": 0, "nav": "reposts",
        "notice": request.query_params.get("notice", "")[:200], "today": today,
        "tasks": tasks.list_tasks(app, actor.office), "accounts": tasks.known_accounts(app),
        "rates": rates.year_rates(app.store.engine, app.config, actor.office, today.year, today),
        "percent": rates.percent, **ctx})


def _back(notice: str) -> RedirectResponse:
    return RedirectResponse("/reposts?notice=" + quote(notice), status_code=303)


async def _form(request: Request):
    form = await request.form()
    console_of(request).check_csrf(request, form.get(CSRF_FIELD))
    return form


@router.get("/reposts", include_in_schema=False)
def reposts_page(request: Request):
    return _page(request, console_of(request).actor(request, api=False))


@router.post("/reposts", include_in_schema=False)
async def reposts_add(request: Request):
    actor = console_of(request).actor(request, api=False)
    form = await _form(request)
    app = console_of(request).app
    fields = {k: form.get(k) for k in ("title", "source_url", "due_on", "issuer", "category")}
    try:
        task_id = tasks.add_tasks(app, actor, [tasks.parse_task(app, fields | {"accounts": form.getlist("channels")})])[0]
    except PublisherError as exc:
        return _page(request, actor, error=str(exc), given=fields)
    return _back(f"已登记转载任务 {task_id}")


@router.post("/reposts/import", include_in_schema=False)
async def reposts_import(request: Request):
    actor = console_of(request).actor(request, api=False)
    form = await _form(request)
    app = console_of(request).app
    upload = form.get("file")
    if upload is None or not getattr(upload, "filename", ""):
        return _page(request, actor, error="请选择要导入的文件（.xlsx 或 .csv）")
    with tempfile.TemporaryDirectory(prefix="publisher-reposts-") as folder:
        path = Path(folder) / safe_filename(upload.filename)
        path.write_bytes(await upload.read())
        try:
            ids = tasks.add_tasks(app, actor, imports.read_tasks(app, path))
        except PublisherError as exc:
            return _page(request, actor, error=str(exc))
    return _back(f"已导入 {len(ids)} 项转载任务")


@router.post("/reposts/{task_id}/{action}", include_in_schema=False)
async def reposts_action(request: Request, task_id: int, action: str):
    actor = console_of(request).actor(request, api=False)
    form = await _form(request)
    app = console_of(request).app
    try:
        if action == "make":
            _require_editor(actor)
            item_id = carrying.make_item(app, actor, task_id)
            return RedirectResponse(f"/items/{item_id}?notice=" + quote("已生成转载稿件并提交审核"), status_code=303)
        if action == "done":
            tasks.record_done(app, actor, task_id, form.get("channel") or "", form.get("url") or "")
            return _back("已登记转载情况")
    except PublisherError as exc:
        return _page(request, actor, error=str(exc))
    return _back("未知操作")

