"""Console and API routes for review that fits the calendar: a new time for an item past its time (the
已过期待审 one-click), the retraction's confirmation page, and the user's notifications."""

from __future__ import annotations

from datetime import datetime, time

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from publisher.delivery.partial import failed_channels
from publisher.errors import InputError, Refused
from publisher.foundation.workdays import add_workdays
from publisher.items.editing import reschedule
from publisher.review import due, notices
from publisher.review import workflow as review
from publisher.runtime.app import App
from publisher.web import views
from publisher.web.api import ERRORS, User
from publisher.web.common import ItemId, as_json
from publisher.web.console import console_of
from publisher.web.pages import _actor, _back, _form, _page, _safe_next

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])
NEW_TIME = time(9, 0)  # the time of day offered for a late item: 9:00 on the next working day


def suggested_time(app: App) -> str:
    """The new time offered for a late item (office time, for a datetime-local input)."""
    today = app.clock.now().astimezone(app.config.tz).date()
    return datetime.combine(add_workdays(today, 1), NEW_TIME).strftime("%Y-%m-%dT%H:%M")


def install(env, app: App) -> None:
    """Template helpers of this module's panels: the suggested new time, the review overdue per step, the unread
    notices (the menu's badge) and the partly published items."""
    env.globals.update(
        suggested_time=lambda: suggested_time(app),
        review_overdue=lambda user: due.overdue_by_step(app, review.inbox(app, user)),
        unread_notices=lambda user: notices.unread(app, user.name, user.office) if user else 0,
        partly_failed=failed_channels)


# -- a new time -------------------------------------------------------------------------------------------------

@router.post("/items/{item_id}/reschedule")
async def reschedule_form(request: Request, item_id: ItemId):
    actor = _actor(request)
    app = console_of(request).app
    form = await _form(request)
    back = _safe_next(str(form.get("next") or f"/items/{item_id}"))
    try:
        shown = await run_in_threadpool(reschedule, app, actor, item_id, str(form.get("at") or "").strip())
    except (InputError, Refused) as exc:
        return _back(back, f"未完成：{exc}")
    again = "；已通过的审核已退回，需重新审核" if shown["history"] and shown["history"][-1]["decision"] == "restarted" \
        and shown["state"] == "in_review" else ""
    return _back(back, "已改为新的发布时间" + again)


class NewTime(BaseModel):
    """A new publish time (ISO 8601; without an offset, the office's time)."""

    model_config = ConfigDict(extra="forbid")
    at: str = Field(min_length=1, max_length=40)


@api.post("/items/{item_id}/reschedule", responses=ERRORS, summary="改发布时间（已通过的审核将退回）")
def reschedule_api(request: Request, actor: User, item_id: ItemId, body: NewTime) -> dict:
    app = console_of(request).app
    return as_json(reschedule(app, actor, item_id, body.at))


# -- retract: ask for a reason, confirm, name the channels -------------------------------------------------------

@router.get("/items/{item_id}/retract")
def retract_confirm(request: Request, item_id: ItemId):
    actor = _actor(request)
    app = console_of(request).app
    item = views.item_json(app, actor, item_id)
    return _page(request, "retract.html", actor, item=item, operates=bool(actor.role and actor.role.operates))


# -- notifications -------------------------------------------------------------------------------------------------

@router.get("/notifications")
def notifications_page(request: Request):
    actor = _actor(request)
    app = console_of(request).app
    found = notices.for_user(app, actor.name, actor.office)
    return _page(request, "notifications.html", actor, found=found)


@router.post("/notifications/read")
async def notifications_read(request: Request):
    actor = _actor(request)
    app = console_of(request).app
    form = await _form(request)
    upto = str(form.get("upto") or "").strip()
    if not (upto.isascii() and upto.isdigit()) or len(upto) > 18:
        raise InputError("请从通知页面操作", field="upto")
    notices.mark_read(app, actor.name, int(upto))
    return _back("/notifications", "已全部标为已读")


@api.get("/notifications", responses=ERRORS, summary="我的通知（稿件发布、退回、失败）")
def notifications_api(request: Request, actor: User) -> dict:
    app = console_of(request).app
    found = notices.for_user(app, actor.name, actor.office)
    return as_json({"notifications": found, "unread": sum(1 for n in found if n["unread"])})
