"""The Console: what every request needs (the App, sessions, the login guard, templates), and how a route finds it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from publisher.accounts.users import Actor, actor_from_row, get_user_by_id, user_for_token
from publisher.errors import NotFound
from publisher.runtime.app import App
from publisher.web.common import ApiError
from publisher.web.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, LoginGuard, Session, Sessions, csrf_ok

HERE = Path(__file__).parent


class Console:
    """What every request needs: the App, sessions, the login guard, templates."""

    def __init__(self, app: App, *, secure_cookies: bool | None = None):
        settings = app.config.console
        self.app = app
        self.secure_cookies = settings.secure_cookies if secure_cookies is None else secure_cookies
        self.sessions = Sessions(app.store.engine, timedelta(hours=settings.session_hours))
        self.guard = LoginGuard(app.store, settings.login_attempts, settings.address_attempts,
                                timedelta(minutes=settings.lockout_minutes), settings.address_delay,
                                default_office=app.config.office.code)
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
            row = get_user_by_id(self.app.store, session.user_id)
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


def console_of(request: Request) -> Console:
    """The Console behind a request."""
    return request.app.state.console
