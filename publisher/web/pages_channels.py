"""Console and API routes for failures a person can act on: channel health, and retrying every failed delivery
of a channel at once (after its credentials or whitelist were fixed)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from publisher.delivery.actions import retry_channel
from publisher.delivery.health import channel_health
from publisher.delivery.partial import partly_published
from publisher.errors import InputError, NotFound, Refused
from publisher.foundation.i18n import _
from publisher.runtime.app import App
from publisher.web.api import ERRORS, User
from publisher.web.common import as_json
from publisher.web.console import console_of
from publisher.web.pages import _actor, _back, _form, _page, _safe_next

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])


def install(env, app: App) -> None:
    """Template helpers of the 工作台's channel-health and 部分发布 panels."""
    env.globals.update(channel_health=lambda user: channel_health(app, user.office),
                       partly_published=lambda user: partly_published(app.store.engine, user.office))


def _configured(app: App, name: str) -> None:
    if name not in app.config.channels:
        raise NotFound(_("no channel {channel!r}").format(channel=name))


@router.get("/channels")
def channels_page(request: Request):
    actor = _actor(request)
    app = console_of(request).app
    return _page(request, "channels.html", actor, health=channel_health(app, actor.office),
                 operates=bool(actor.role and actor.role.operates))


@router.post("/channels/{name}/retry-failed")
async def retry_failed_form(request: Request, name: str):
    actor = _actor(request)
    app = console_of(request).app
    _configured(app, name)
    form = await _form(request)
    back = _safe_next(str(form.get("next") or "/channels"))
    try:
        done = await run_in_threadpool(lambda: retry_channel(app, name, actor=actor))
    except (InputError, Refused) as exc:
        return _back(back, f"未完成：{exc}")
    label = app.config.channels[name].display_name or name
    resumed = "已恢复该渠道，" if done["resumed"] else ""
    return _back(back, f"{label}：{resumed}{done['retried']} 条失败的发布将重新发送")


@api.get("/channels/health", responses=ERRORS, summary="各渠道健康状况（上次成功、暂停原因、即将到期的凭据）")
def health_api(request: Request, actor: User) -> dict:
    app = console_of(request).app
    return as_json({"channels": [asdict(h) for h in channel_health(app, actor.office)]})


@api.post("/channels/{name}/retry-failed", responses=ERRORS, summary="恢复渠道并重试其全部失败的发布")
def retry_failed_api(request: Request, actor: User, name: str) -> dict:
    app = console_of(request).app
    _configured(app, name)
    return retry_channel(app, name, actor=actor)
