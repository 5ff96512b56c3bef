"""Console security: server-side sessions, CSRF tokens, login rate limiting and the response headers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from publisher.db.engine import reading
from publisher.db.schema import console_sessions, users
from publisher.accounts.users import Actor, actor_from_row, dummy_verify, password_matches
from publisher.ledger.event_kinds import EventKind

SESSION_COOKIE = "publisher_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'")
# the compose page: its editor shows the document's own style attributes (text-indent, table borders); <style>
# elements and scripts stay 'self' only
EDITOR_CSP = CSP.replace("style-src 'self';", "style-src 'self'; style-src-attr 'unsafe-inline';")
PREVIEW_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"  # loads nothing
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
# the console's scripts, styles and fonts (no one's data): a browser keeps them and asks whether they changed (its
# ETag) before each use, instead of fetching the editor's megabyte again on every page
STATIC_CACHE = "no-cache"


@dataclass
class Session:
    """One logged-in browser: who, its CSRF token, and until when."""

    user: str
    csrf: str
    expires: datetime
    user_id: int | None = None


@dataclass
class Sessions:
    """Server-side sessions in the database (a console restart keeps them, processes share them); the cookie
    holds only a random id, and the database only its SHA-256."""

    engine: Engine
    lifetime: timedelta

    def open(self, actor: Actor, now: datetime) -> tuple[str, Session]:
        """Start a session for a user; returns its id (the cookie value) and the session."""
        sid = secrets.token_urlsafe(32)
        session = Session(user=actor.name, csrf=secrets.token_urlsafe(32), expires=now + self.lifetime,
                          user_id=actor.user_id)
        with self.engine.begin() as conn:
            conn.execute(delete(console_sessions).where(console_sessions.c.expires_at <= now))
            conn.execute(insert(console_sessions).values(id_sha256=_digest(sid), user_name=actor.name,
                                                         user_id=actor.user_id, csrf=session.csrf,
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
        return Session(user=row.user_name, csrf=row.csrf, expires=row.expires_at, user_id=row.user_id)

    def close(self, sid: str | None) -> None:
        """End a session (logout)."""
        with self.engine.begin() as conn:
            conn.execute(delete(console_sessions).where(console_sessions.c.id_sha256 == _digest(sid or "")))

    def close_user(self, user_id: int) -> None:
        """End every session of a user (disabled by an admin)."""
        with self.engine.begin() as conn:
            conn.execute(delete(console_sessions).where(console_sessions.c.user_id == user_id))


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def csrf_ok(session: Session, given: str | None) -> bool:
    """Whether the token sent with a state-changing request is the session's."""
    return bool(given) and hmac.compare_digest(session.csrf.encode(), str(given).encode())


class LoginRefused(Exception):
    """A login that failed; ``locked`` when the account is locked out (the same answer for unknown names)."""

    def __init__(self, message: str, *, locked: bool = False):
        self.locked = locked
        super().__init__(message)


WRONG = "用户名或密码不正确"
LOCKED = "登录失败次数过多，账号已暂时锁定，请稍后再试或联系管理员"
BACKOFF_MAX = timedelta(hours=24)


def pause(seconds: float) -> None:
    """Wait before answering a login from a slowed address (replaced in tests)."""
    time.sleep(seconds)


@dataclass
class _Count:
    """Failures since ``since``, how many lock-outs so far (each one twice as long), and until when locked."""

    failures: int = 0
    strikes: int = 0
    locked_until: datetime | None = None
    last: datetime | None = None


@dataclass
class LoginGuard:
    """Checks passwords. Lock-outs per account (any address) and per (address, account), each longer than the last;
    an address with many failures under any names is slowed, never locked, so one office behind NAT keeps working.
    A success resets only that account's counts. Unknown names are counted, answered and timed like known ones."""

    store: object
    attempts: int
    address_attempts: int
    lockout: timedelta
    address_delay: float = 2.0
    default_office: str = "default"  # the office of a login form that names none
    _pairs: dict[tuple[str, str], _Count] = field(default_factory=dict)
    _accounts: dict[str, _Count] = field(default_factory=dict)
    _addresses: dict[str, _Count] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def account_attempts(self) -> int:
        """Failures from all addresses together before an account is locked."""
        return self.attempts * 3

    def login(self, name: str, password: str, address: str, office: str | None = None) -> Actor:
        """The user ``name`` of ``office`` (default: the configured one) for a correct password; LoginRefused
        otherwise (every outcome is an audit event)."""
        store = self.store
        now = store.clock.now()
        office = office or self.default_office
        key = f"{name.casefold()}@{office.casefold()}"
        if self._slowed(address, now):
            pause(self.address_delay)
        with reading(store.engine) as conn:
            row = conn.execute(select(users).where(users.c.name == name, users.c.office == office)).mappings().first()
        office = row["office"] if row is not None else None
        if self._locked(address, key, now) or (row is not None and row["locked_until"] and row["locked_until"] > now):
            dummy_verify(password)
            self._event(EventKind.LOGIN_REFUSED, name, address, reason="locked", office=office)
            raise LoginRefused(LOCKED, locked=True)
        if row is None or row["disabled"] or not row["password_hash"]:
            dummy_verify(password)
            good = False
        else:
            good = password_matches(row["password_hash"], password)
        if not good:
            self._failed(name, key, address, row, now)
        with store.transaction() as conn:
            conn.execute(update(users).where(users.c.id == row["id"]).values(failed_logins=0, locked_until=None))
            store.event(conn, EventKind.LOGIN, actor=name, office=row["office"], address=address)
        with self._lock:
            self._pairs.pop((address, key), None)
            self._accounts.pop(key, None)
        return actor_from_row(row)

    def _slowed(self, address: str, now: datetime) -> bool:
        with self._lock:
            count = self._fresh(self._addresses, address, now)
            return count.failures >= self.address_attempts

    def _locked(self, address: str, key: str, now: datetime) -> bool:
        with self._lock:
            pair = self._fresh(self._pairs, (address, key), now)
            account = self._fresh(self._accounts, key, now)
            return any(c.locked_until and c.locked_until > now for c in (pair, account))

    def _fresh(self, table: dict, key, now: datetime) -> _Count:
        """The count for ``key``; failures older than the lock-out time are forgotten (lock-outs are not)."""
        count = table.setdefault(key, _Count())
        if count.last and now - count.last > max(self.lockout, self._span(count)) and not (
                count.locked_until and count.locked_until > now):
            count.failures = 0
        return count

    def _span(self, count: _Count) -> timedelta:
        return min(self.lockout * (2 ** max(count.strikes - 1, 0)), BACKOFF_MAX)

    def _strike(self, count: _Count, limit: int, now: datetime) -> bool:
        count.failures += 1
        count.last = now
        if count.failures < limit:
            return False
        count.failures = 0
        count.strikes += 1
        count.locked_until = now + self._span(count)
        return True

    def _failed(self, name: str, key: str, address: str, row, now: datetime) -> None:
        with self._lock:
            self._strike(self._fresh(self._addresses, address, now), 1 << 62, now)
            pair = self._strike(self._fresh(self._pairs, (address, key), now), self.attempts, now)
            account = self._strike(self._fresh(self._accounts, key, now), self.account_attempts, now)
        locked = pair or account
        if row is not None:
            values = {"failed_logins": 0 if locked else (row["failed_logins"] or 0) + 1}
            if account:
                values["locked_until"] = self._accounts[key].locked_until
            with self.store.transaction() as conn:
                conn.execute(update(users).where(users.c.id == row["id"]).values(**values))
                self.store.event(conn, EventKind.LOGIN_LOCKED if locked else EventKind.LOGIN_FAILED,
                                 actor=name[:80], office=row["office"], address=address)
        else:
            self._event(EventKind.LOGIN_LOCKED if locked else EventKind.LOGIN_FAILED, name[:80], address,
                        reason="no such user")
        raise LoginRefused(LOCKED if locked else WRONG, locked=locked)

    def _event(self, kind: str, name: str, address: str, office: str | None = None, **detail) -> None:
        with self.store.transaction() as conn:
            self.store.event(conn, kind, actor=name[:80] or "?", address=address,
                             **({"office": office} if office else {}), **detail)
