"""The console's registers page: applications (依申请公开) with their deadlines and appeals (行政复议/诉讼);
editors and admins pause an application's clock and decide a pending appeal, with the CLI's rules."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from publisher.accounts.users import Actor
from publisher.errors import InputError, NotFound, Refused
from publisher.foundation.i18n import _
from publisher.foundation.workdays import UNKNOWN_MARK
from publisher.report.registers.appeals import RESULT_WORDS, AppealRegister
from publisher.report.registers.applications import PAUSE_KINDS, ApplicationRegister
from publisher.report.registers.keepers import may_keep, parse_day
from publisher.web.common import ItemId
from publisher.web.console import console_of
from publisher.web.pages import _actor, _back, _form, _page

router = APIRouter(include_in_schema=False)


def _today(app) -> date:
    return app.clock.now().astimezone(app.config.tz).date()


def _registers(app) -> tuple[ApplicationRegister, AppealRegister]:
    office = app.config.office.code
    return ApplicationRegister(app.store, office), AppealRegister(app.store, office)


def _listing(app, actor: Actor) -> dict:
    """What the page shows: the office's applications (newest first, with deadline and state) and appeals."""
    if actor.office != app.config.office.code:  # the registers are the configured office's
        return {"applications": [], "appeals": []}
    applications, appeals = _registers(app)
    today = _today(app)
    return {"applications": [a.as_dict(today) for a in reversed(applications.all())],
            "appeals": [a.as_dict() for a in reversed(appeals.all())]}


def _show(request: Request, actor: Actor, error: str = "", status: int = 200):
    app = console_of(request).app
    return _page(request, "registers.html", actor, status=status, error=error, keeper=may_keep(actor),
                 pause_reasons=list(PAUSE_KINDS), results=list(RESULT_WORDS), today=_today(app).isoformat(),
                 **_listing(app, actor))


@router.get("/registers")
def registers_page(request: Request):
    return _show(request, _actor(request))


@router.post("/registers/appeals/{appeal_id}/decide")
async def decide_appeal(request: Request, appeal_id: ItemId):
    actor = _actor(request)
    form = await _form(request)
    app = console_of(request).app
    try:
        decided = await run_in_threadpool(
            _registers(app)[1].decide, appeal_id, str(form.get("result") or ""),
            parse_day(str(form.get("on") or ""), "审结日期") or _missing("审结日期"), actor, _today(app))
    except (InputError, Refused, NotFound) as exc:
        return _show(request, actor, str(exc), _status(exc))
    return _back("/registers", f"已记录第 {appeal_id} 号复议/诉讼的结果：{decided.result}（{decided.decided_on}）")


@router.post("/registers/applications/{app_id}/pause")
async def pause_application(request: Request, app_id: ItemId):
    actor = _actor(request)
    form = await _form(request)
    app = console_of(request).app
    try:
        paused = await run_in_threadpool(
            _registers(app)[0].pause, app_id, str(form.get("reason") or ""),
            parse_day(str(form.get("from") or ""), "暂停开始日期") or _missing("暂停开始日期"),
            parse_day(str(form.get("to") or ""), "暂停结束日期"), actor, _today(app))
    except (InputError, Refused, NotFound) as exc:
        return _show(request, actor, str(exc), _status(exc))
    mark = "" if paused.due_known else f"（{UNKNOWN_MARK}）"
    due = f"答复期限 {paused.due_on}{mark}" if paused.due_on else "计时暂停中"
    return _back("/registers", f"已记录第 {app_id} 号申请的计时暂停，{due}")


def _missing(field: str) -> date:
    raise InputError(_("missing (YYYY-MM-DD)"), field=field)


def _status(exc: Exception) -> int:
    return 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, Refused) and exc.rule == "role" else \
        409 if isinstance(exc, Refused) else 422
