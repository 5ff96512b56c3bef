"""The channels page (/channels) and its API: channel health, retrying every failed delivery of a channel at once
(after its credentials or whitelist were fixed), the account registry (备案, inspection clocks) and closing an account
with its 停更公告 (the same guided action as ``publisher channel close``)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from publisher.accounts.users import Actor
from publisher.channel_registry.clocks import clocks
from publisher.channel_registry.closing import closures, start_close
from publisher.delivery.actions import retry_channel
from publisher.delivery.health import channel_health
from publisher.delivery.partial import partly_published
from publisher.errors import InputError, NotFound, PublisherError, Refused
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


def _channels_page(request: Request, actor: Actor, **ctx):
    app = console_of(request).app
    return _page(request, "channels.html", actor, health=channel_health(app, actor.office),
                 operates=bool(actor.role and actor.role.operates), channels=app.config.channels,
                 closures=closures(app), clocks=clocks(app, actor.office), **ctx)


@router.get("/channels")
def channels_page(request: Request):
    return _channels_page(request, _actor(request))


@router.post("/channels/{name}/close")
async def close_channel(request: Request, name: str):
    actor = _actor(request)
    app = console_of(request).app
    form = await _form(request)
    settings = app.config.channels.get(name)
    title = (form.get("title") or "").strip() or \
        f"关于{(settings.display_name if settings else None) or name}停止更新的公告"
    try:
        item_id = await run_in_threadpool(lambda: start_close(app, actor, name, title=title,
                                                                body=form.get("body") or None))
    except PublisherError as exc:
        return _channels_page(request, actor, error=str(exc))
    return _back(f"/items/{item_id}", f"已生成停更公告（稿件 {item_id}）并提交审核；公告在该渠道发布后，渠道即停用")


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
