"""Console security: server-side sessions, CSRF tokens, login rate limiting and the response headers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from publisher.db.engine import reading
from publisher.db.schema import console_sessions, users
from publisher.accounts.users import Actor, actor_from_row, password_matches
from publisher.ledger.event_kinds import EventKind

SESSION_COOKIE = "publisher_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'")
PREVIEW_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"  # loads nothing
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass
class Session:
    """One logged-in browser: who, its CSRF token, and until when."""

    user: str
    csrf: str
    expires: datetime


@dataclass
class Sessions:
    """Server-side sessions in the database (a console restart keeps them, processes share them); the cookie
    holds only a random id, and the database only its SHA-256."""

    engine: Engine
    lifetime: timedelta

    def open(self, user: str, now: datetime) -> tuple[str, Session]:
        """Start a session; returns its id (the cookie value) and the session."""
        sid = secrets.token_urlsafe(32)
        session = Session(user=user, csrf=secrets.token_urlsafe(32), expires=now + self.lifetime)
        with self.engine.begin() as conn:
            conn.execute(delete(console_sessions).where(console_sessions.c.expires_at <= now))
            conn.execute(insert(console_sessions).values(id_sha256=_digest(sid), user_name=user, csrf=session.csrf,
                                                         expires_at=session.expires, created_at=now))
        return sid, session

    def get(self, sid: str | None, now: datetime) -> Session | None:
        """The live session for a cookie value, or None."""
        if not sid:
            return None
        with reading(self.engine) as conn:
            row = conn.execute(select(console_sessions).where(console_sessions.c.id_sha256 == _digest(sid))).first()
        if row is None or row.expires_at <= now:
            return None
        return Session(user=row.user_name, csrf=row.csrf, expires=row.expires_at)

    def close(self, sid: str | None) -> None:
        """End a session (logout)."""
        with self.engine.begin() as conn:
            conn.execute(delete(console_sessions).where(console_sessions.c.id_sha256 == _digest(sid or "")))

    def close_user(self, user: str) -> None:
        """End every session of a user (disabled by an admin)."""
        with self.engine.begin() as conn:
            conn.execute(delete(console_sessions).where(console_sessions.c.user_name == user))


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def csrf_ok(session: Session, given: str | None) -> bool:
    """Whether the token sent with a state-changing request is the session's."""
    return bool(given) and hmac.compare_digest(session.csrf.encode(), str(given).encode())


class LoginRefused(Exception):
    """A login that failed; ``locked`` when the account or the address is locked out."""

    def __init__(self, message: str, *, locked: bool = False):
        self.locked = locked
        super().__init__(message)


@dataclass
class LoginGuard:
    """Checks passwords with per-account (in the users table) and per-address (in memory) lock-out."""

    store: object
    attempts: int
    address_attempts: int
    lockout: timedelta
    _addresses: dict[str, tuple[int, datetime | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def login(self, name: str, password: str, address: str) -> Actor:
        """The user for a correct password; LoginRefused otherwise (every outcome is an audit event)."""
        store = self.store
        now = store.clock.now()
        with self._lock:
            fails, locked_until = self._addresses.get(address, (0, None))
        if locked_until and locked_until > now:
            self._event(EventKind.LOGIN_REFUSED, name, address, reason="address locked")
            raise LoginRefused("登录失败次数过多，请稍后再试", locked=True)
        with reading(store.engine) as conn:
            row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
        if row is not None and row["locked_until"] and row["locked_until"] > now:
            self._count_address(address, now)
            self._event(EventKind.LOGIN_REFUSED, name, address, reason="account locked", office=row["office"])
            raise LoginRefused("该账号因多次登录失败已暂时锁定，请稍后再试或联系管理员", locked=True)
        good = row is not None and not row["disabled"] and password_matches(row["password_hash"], password)
        if not good:
            self._count_address(address, now)
            locked = False
            if row is not None:
                failures = (row["failed_logins"] or 0) + 1
                values = {"failed_logins": failures}
                if failures >= self.attempts:
                    values = {"failed_logins": 0, "locked_until": now + self.lockout}
                    locked = True
                with store.transaction() as conn:
                    conn.execute(update(users).where(users.c.id == row["id"]).values(**values))
                    store.event(conn, EventKind.LOGIN_LOCKED if locked else EventKind.LOGIN_FAILED, actor=name[:80],
                                office=row["office"], address=address, failures=failures)
            else:
                self._event(EventKind.LOGIN_FAILED, name[:80], address, reason="no such user")
            raise LoginRefused("用户名或密码不正确" + ("；账号已暂时锁定" if locked else ""), locked=locked)
        with store.transaction() as conn:
            conn.execute(update(users).where(users.c.id == row["id"]).values(failed_logins=0, locked_until=None))
            store.event(conn, EventKind.LOGIN, actor=name, office=row["office"], address=address)
        with self._lock:
            self._addresses.pop(address, None)
        return actor_from_row(row)

    def _count_address(self, address: str, now: datetime) -> None:
        with self._lock:
            fails, _ = self._addresses.get(address, (0, None))
            fails += 1
            if fails >= self.address_attempts:
                self._addresses[address] = (0, now + self.lockout)
            else:
                self._addresses[address] = (fails, None)

    def _event(self, kind: str, name: str, address: str, **detail) -> None:
        with self.store.transaction() as conn:
            self.store.event(conn, kind, actor=name[:80] or "?", address=address, **detail)
