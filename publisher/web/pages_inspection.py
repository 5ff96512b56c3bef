"""The inspection's console page and API: correction tasks from re-scans, and the last link check.

``GET /inspection`` lists open corrections (dismiss with a reason) and the last link check; the 工作台 shows a
summary through ``inspection_panel.html`` (its data from :func:`panel`, a template global). The API:
``GET /api/corrections?status=&item=``, ``POST /api/corrections/{id}/dismiss`` and ``GET /api/links``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from publisher.accounts.users import Actor
from publisher.errors import PublisherError
from publisher.inspection import corrections
from publisher.inspection.links import last_summary
from publisher.runtime.app import App
from publisher.web.api import ERRORS, acting
from publisher.web.common import ID_MAX, ItemId, as_json
from publisher.web.console import console_of
from publisher.web.security import CSRF_FIELD

router = APIRouter()
User = Annotated[Actor, Depends(acting)]
PANEL_ROWS = 5


def mount(web, console) -> None:
    """Serve these routes on ``web`` and give the console's templates ``inspection_panel(user)`` (the 工作台's
    summary of corrections and links)."""
    web.include_router(router)
    console.templates.env.globals["inspection_panel"] = lambda user: panel(console.app, user)
    console.templates.env.globals["item_corrections"] = lambda user, item_id: item_tasks(console.app, user, item_id)


def item_tasks(app: App, user: Actor | None, item_id: int) -> list[dict]:
    """The item's open correction tasks, for its page."""
    if user is None:
        return []
    try:
        return corrections.listing(app, user, item_id=item_id)
    except PublisherError:
        return []


def panel(app: App, user: Actor | None) -> dict:
    """Open corrections (the first few) and the last link check, for the 工作台."""
    if user is None:
        return {"open": [], "open_count": 0, "links": None}
    try:
        rows = corrections.listing(app, user, limit=PANEL_ROWS)
        count = corrections.open_count(app, user.office)
        links = last_summary(app, user.office)
    except PublisherError:
        return {"open": [], "open_count": 0, "links": None}
    return {"open": rows, "open_count": count, "links": links}


# -- console ------------------------------------------------------------------------------------------------

@router.get("/inspection", include_in_schema=False)
def inspection_page(request: Request, status: str = "open"):
    console = console_of(request)
    actor = console.actor(request, api=False)
    shown = None if status == "all" else status
    rows = corrections.listing(console.app, actor, status=shown)
    session = getattr(request.state, "session", None)
    return console.templates.TemplateResponse(request, "inspection.html", {
        "user": actor, "csrf": session.csrf if session else "", "waiting": 0, "nav": "inspection",
        "notice": request.query_params.get("notice", "")[:200], "rows": rows, "status": status,
        "links": last_summary(console.app, actor.office)})


@router.post("/inspection/corrections/{correction_id}/dismiss", include_in_schema=False)
async def dismiss_form(request: Request, correction_id: ItemId):
    from urllib.parse import quote

    from fastapi.responses import RedirectResponse
    from starlette.concurrency import run_in_threadpool

    console = console_of(request)
    actor = console.actor(request, api=False)
    form = await request.form()
    console.check_csrf(request, form.get(CSRF_FIELD))
    await run_in_threadpool(corrections.dismiss, console.app, actor, correction_id, str(form.get("reason") or ""))
    return RedirectResponse("/inspection?notice=" + quote(f"已忽略更正任务 #{correction_id}"), status_code=303)


# -- API ----------------------------------------------------------------------------------------------------

class DismissIn(BaseModel):
    """Why a correction task needs no correction."""

    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


@router.get("/api/corrections", tags=["api"], responses=ERRORS, summary="更正任务（复查已发布信息发现的问题）")
def api_corrections(request: Request, user: User,
                    status: Literal["open", "corrected", "dismissed", "all"] = "open",
                    item: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None):
    """Correction tasks of the caller's office (open ones by default), as ``corrections list --json``."""
    app = console_of(request).app
    return as_json(corrections.listing(app, user, status=None if status == "all" else status, item_id=item))


@router.post("/api/corrections/{correction_id}/dismiss", tags=["api"], responses=ERRORS,
             summary="注明理由忽略一条更正任务")
def api_dismiss(request: Request, correction_id: ItemId, body: DismissIn, user: User):
    """Dismiss a correction task with a reason (an approver or an admin)."""
    return as_json(corrections.dismiss(console_of(request).app, user, correction_id, body.reason))


@router.get("/api/links", tags=["api"], responses=ERRORS, summary="最近一次链接检查的摘要")
def api_links(request: Request, user: User):
    """The last whole link check's summary (``null`` before the first)."""
    return as_json(last_summary(console_of(request).app, user.office))
