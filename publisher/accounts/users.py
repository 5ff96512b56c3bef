"""Users, their roles and offices, passwords (Argon2id) and API tokens; who is acting on a command."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from publisher.db.engine import reading
from publisher.errors import InputError, NotFound, Refused
from publisher.db.schema import api_tokens, users
from publisher.foundation.i18n import _
from publisher.ledger.event_kinds import EventKind

NAME = re.compile(r"^[\w.@-]{1,80}$")
PASSWORD_MIN = 10
PASSWORD_MAX = 1024
TOKEN_PREFIX = "pub_"
_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id (RFC 9106 low-memory profile)


class Role(StrEnum):
    """What a user may do. Review steps name the role that takes them."""

    EDITOR = "editor"
    REVIEWER = "reviewer"
    APPROVER = "approver"
    ADMIN = "admin"

    def takes(self, step_role: str) -> bool:
        """Whether this role may decide a review step that asks for ``step_role`` (an approver may also review)."""
        return self.value == step_role or (self is Role.APPROVER and step_role == Role.REVIEWER.value)

    @property
    def edits(self) -> bool:
        """May write and change items."""
        return self in (Role.EDITOR, Role.ADMIN)

    @property
    def operates(self) -> bool:
        """May retract published items and settle deliveries."""
        return self in (Role.APPROVER, Role.ADMIN)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user of an office, or (no user given) the operating-system account."""

    name: str
    office: str
    role: Role | None = None
    display_name: str = ""

    @property
    def is_user(self) -> bool:
        """True for a publisher user (with a role), False for the anonymous OS account."""
        return self.role is not None

    def require(self, allowed: bool, rule: str, message: str) -> None:
        """Raise Refused(rule) unless ``allowed``."""
        if not allowed:
            raise Refused(rule, message)


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password``; InputError names what is wrong with it."""
    if len(password) < PASSWORD_MIN:
        raise InputError(_("at least {password_min} characters").format(password_min=PASSWORD_MIN), field="password")
    if len(password) > PASSWORD_MAX:
        raise InputError(_("at most {password_max} characters").format(password_max=PASSWORD_MAX), field="password")
    return _hasher.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Check a password against a stored hash (False when none is set)."""
    if not stored or len(password) > PASSWORD_MAX:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def add_user(store, name: str, role: str, office: str, *, display_name: str = "", password: str | None = None,
             created_by: str = "") -> dict:
    """Create a user; InputError for a bad or taken name or role."""
    if not NAME.match(name or ""):
        raise InputError(_("letters, digits and . _ @ - only, at most 80 characters"), field="name")
    try:
        role = Role(role)
    except ValueError:
        raise InputError(_("unknown role {role!r} (one of {names})").format(
                             role=role, names=', '.join(r.value for r in Role)), field="role") from None
    if len(display_name) > 200:
        raise InputError(_("at most 200 characters"), field="display_name")
    hashed = hash_password(password) if password is not None else None
    now = store.clock.now()
    try:
        with store.transaction() as conn:
            conn.execute(insert(users).values(
                name=name, display_name=display_name, role=role.value, office=office, password_hash=hashed,
                disabled=False, failed_logins=0, created_at=now, created_by=created_by))
            store.event(conn, EventKind.USER_ADDED, actor=created_by, office=office, user=name, role=role.value)
    except IntegrityError:
        raise InputError(_("a user named {name!r} exists already").format(name=name), field="name") from None
    return get_user(store, name)


def get_user(store, name: str) -> dict:
    """The user's row; NotFound when there is none."""
    with reading(store.engine) as conn:
        row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
    if row is None:
        raise NotFound(_("no user named {name!r}").format(name=name))
    return dict(row)


def list_users(store, office: str | None = None) -> list[dict]:
    """Users (of one office when given), by name; never their password hashes."""
    q = select(users.c.name, users.c.display_name, users.c.role, users.c.office, users.c.disabled,
               users.c.created_at, (users.c.password_hash.is_not(None)).label("has_password"))
    if office is not None:
        q = q.where(users.c.office == office)
    with reading(store.engine) as conn:
        return [dict(r) for r in conn.execute(q.order_by(users.c.name)).mappings()]


def set_disabled(store, name: str, disabled: bool, *, actor: str) -> None:
    """Disable (or enable) a user: a disabled user cannot act, log in or use a token."""
    with store.transaction() as conn:
        changed = conn.execute(update(users).where(users.c.name == name).values(disabled=disabled)).rowcount
        if not changed:
            raise NotFound(_("no user named {name!r}").format(name=name))
        office = conn.execute(select(users.c.office).where(users.c.name == name)).scalar()
        kind = EventKind.USER_DISABLED if disabled else EventKind.USER_ENABLED
        store.event(conn, kind, actor=actor, office=office, user=name)


def set_password(store, name: str, password: str, *, actor: str) -> None:
    """Set a user's console password (Argon2id)."""
    hashed = hash_password(password)
    with store.transaction() as conn:
        if not conn.execute(update(users).where(users.c.name == name)
                            .values(password_hash=hashed, failed_logins=0, locked_until=None)).rowcount:
            raise NotFound(_("no user named {name!r}").format(name=name))
        store.event(conn, EventKind.PASSWORD_SET, actor=actor, user=name)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(store, name: str, *, actor: str) -> str:
    """Issue an API token for ``name``; only its digest is stored, so it is shown once."""
    user = get_user(store, name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as conn:
        conn.execute(insert(api_tokens).values(user_id=user["id"], token_sha256=_token_digest(token),
                                               created_at=store.clock.now()))
        store.event(conn, EventKind.TOKEN_ISSUED, actor=actor, office=user["office"], user=name)
    return token


def user_for_token(store, token: str) -> Actor | None:
    """The enabled user a token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    q = (select(users).join(api_tokens, api_tokens.c.user_id == users.c.id)
         .where(api_tokens.c.token_sha256 == _token_digest(token), api_tokens.c.revoked_at.is_(None)))
    with reading(store.engine) as conn:
        row = conn.execute(q).mappings().first()
    if row is None or row["disabled"]:
        return None
    return actor_from_row(row)


def actor_from_row(row) -> Actor:
    """The Actor for a users row."""
    return Actor(name=row["name"], office=row["office"], role=Role(row["role"]), display_name=row["display_name"])


def resolve_actor(store, name: str | None, *, default_office: str, fallback: str) -> Actor:
    """The acting user of a command: ``name`` (``--as``/``$PUBLISHER_USER``) or the OS account ``fallback``."""
    name = name if name is not None else os.environ.get("PUBLISHER_USER") or None
    if name is None:
        return Actor(name=fallback, office=default_office)
    try:
        row = get_user(store, name)
    except NotFound:
        raise InputError(_("no user named {name!r} (see `publisher user list`)").format(
                             name=name), field="--as") from None
    if row["disabled"]:
        raise Refused("disabled_user", _("user {name!r} is disabled").format(name=name))
    return actor_from_row(row)


def count_users(store) -> int:
    """How many users exist."""
    with reading(store.engine) as conn:
        return conn.execute(select(func.count()).select_from(users)).scalar()


def count_admins(store) -> int:
    """How many enabled admins exist (in any office)."""
    with reading(store.engine) as conn:
        return conn.execute(select(func.count()).select_from(users).where(
            users.c.role == Role.ADMIN.value, users.c.disabled.is_(False))).scalar()


def require_first_admin(store, role: str) -> None:
    """While no admin exists only an admin may be added: otherwise nobody could ever add users again."""
    if role != Role.ADMIN.value and not count_admins(store):
        raise Refused("first_admin", _("the first user must be an admin: no admin exists yet, so add one first "
                                       "(`publisher user add NAME --role admin --password-stdin`)"))
