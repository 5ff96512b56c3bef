"""The account registry in the console (/channels): each channel's registration (备案), its inspection clocks, and
closing an account with its 停更公告 (the same guided action as ``publisher channel close``)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from publisher.accounts.users import Actor
from publisher.channel_registry.clocks import clocks
from publisher.channel_registry.closing import closures, start_close
from publisher.errors import PublisherError
from publisher.web.console import console_of
from publisher.web.security import CSRF_FIELD

router = APIRouter(include_in_schema=False)


def _page(request: Request, actor: Actor, **ctx) -> HTMLResponse:
    console = console_of(request)
    app = console.app
    session = getattr(request.state, "session", None)
    return console.templates.TemplateResponse(request, "channels.html", {
        "user": actor, "csrf": session.csrf if session else "", "waiting": 0, "nav": "channels",
        "notice": request.query_params.get("notice", "")[:200], "channels": app.config.channels,
        "closures": closures(app), "clocks": clocks(app, actor.office), **ctx})


@router.get("/channels")
def channels_page(request: Request):
    return _page(request, console_of(request).actor(request, api=False))


@router.post("/channels/{name}/close")
async def close_channel(request: Request, name: str):
    console = console_of(request)
    actor = console.actor(request, api=False)
    form = await request.form()
    console.check_csrf(request, form.get(CSRF_FIELD))
    settings = console.app.config.channels.get(name)
    title = (form.get("title") or "").strip() or \
        f"关于{(settings.display_name if settings else None) or name}停止更新的公告"
    try:
        item_id = start_close(console.app, actor, name, title=title, body=form.get("body") or None)
    except PublisherError as exc:
        return _page(request, actor, error=str(exc))
    notice = f"已生成停更公告（稿件 {item_id}）并提交审核；公告在该渠道发布后，渠道即停用"
    return RedirectResponse(f"/items/{item_id}?notice=" + quote(notice), status_code=303)
