"""Users, their roles and offices, passwords (Argon2id) and API tokens; who is acting on a command."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from publisher.db.engine import reading
from publisher.errors import InputError, NotFound, Refused
from publisher.accounts.passwords import DEFAULT_POLICY, PASSWORD_MAX, PasswordPolicy
from publisher.db.schema import api_tokens, console_sessions, users
from publisher.foundation.i18n import _
from publisher.ledger.event_kinds import EventKind

NAME = re.compile(r"^[\w.@-]{1,80}$")
TOKEN_PREFIX = "pub_"
TOKEN_TOUCH = timedelta(minutes=1)  # last_used_at is written at most once a minute per token
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
    user_id: int | None = None  # the users row (names are unique per office only)

    @property
    def is_user(self) -> bool:
        """True for a publisher user (with a role), False for the anonymous OS account."""
        return self.role is not None

    def require(self, allowed: bool, rule: str, message: str) -> None:
        """Raise Refused(rule) unless ``allowed``."""
        if not allowed:
            raise Refused(rule, message)


def hash_password(password: str, *, user_name: str = "", policy: PasswordPolicy | None = None) -> str:
    """An Argon2id hash of ``password``; InputError names the rule of the password policy it breaks."""
    (policy or DEFAULT_POLICY).check(password, user_name)
    return _hasher.hash(password)


def dummy_verify(password: str) -> None:
    """Spend the time of a real password check (for an unknown or locked user: the same answer, the same time)."""
    password_matches(_dummy_hash(), password)


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _DUMMY[0]


def password_matches(stored: str | None, password: str) -> bool:
    """Check a password against a stored hash (False when none is set)."""
    if not stored or len(password) > PASSWORD_MAX:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def add_user(store, name: str, role: str, office: str, *, display_name: str = "", password: str | None = None,
             created_by: str = "", policy: PasswordPolicy | None = None) -> dict:
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
    hashed = hash_password(password, user_name=name, policy=policy) if password is not None else None
    now = store.clock.now()
    try:
        with store.transaction() as conn:
            conn.execute(insert(users).values(
                name=name, display_name=display_name, role=role.value, office=office, password_hash=hashed,
                disabled=False, failed_logins=0, created_at=now, created_by=created_by))
            store.event(conn, EventKind.USER_ADDED, actor=created_by, office=office, user=name, role=role.value)
    except IntegrityError:
        raise InputError(_("a user named {name!r} exists already").format(name=name), field="name") from None
    return get_user(store, name, office)


def get_user(store, name: str, office: str | None = None, *, prefer: str | None = None) -> dict:
    """The row of user ``name`` of ``office`` (names are unique per office). Without an office: the one of office
    ``prefer`` if there is one, else the only user of that name; InputError when several offices have one."""
    q = select(users).where(users.c.name == name)
    with reading(store.engine) as conn:
        rows = [dict(r) for r in conn.execute(q if office is None else q.where(users.c.office == office)).mappings()]
    if not rows:
        raise NotFound(_("no user named {name!r}").format(name=name))
    preferred = [r for r in rows if r["office"] == prefer]
    if len(rows) > 1 and not preferred:
        raise InputError(_("users named {name!r} exist in several offices ({offices}): say which with --office").format(
                             name=name, offices=", ".join(sorted(r["office"] for r in rows))), field="--office")
    return (preferred or rows)[0]


def get_user_by_id(store, user_id: int | None) -> dict:
    """The users row with this id; NotFound when there is none."""
    with reading(store.engine) as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    if row is None:
        raise NotFound(_("no such user"))
    return dict(row)


def offices_with_users(store) -> list[str]:
    """The codes of the offices that have users, sorted."""
    with reading(store.engine) as conn:
        return list(conn.execute(select(users.c.office).distinct().order_by(users.c.office)).scalars())


def list_users(store, office: str | None = None) -> list[dict]:
    """Users (of one office when given), by name; never their password hashes."""
    q = select(users.c.name, users.c.display_name, users.c.role, users.c.office, users.c.disabled,
               users.c.created_at, (users.c.password_hash.is_not(None)).label("has_password"))
    if office is not None:
        q = q.where(users.c.office == office)
    with reading(store.engine) as conn:
        return [dict(r) for r in conn.execute(q.order_by(users.c.name)).mappings()]


def display_names(store, office: str | None = None) -> dict[str, str]:
    """Every user's display name by login name (the name itself when none was given), of ``office`` when given
    (names are unique per office only)."""
    q = select(users.c.name, users.c.display_name)
    if office is not None:
        q = q.where(users.c.office == office)
    with reading(store.engine) as conn:
        return {r.name: r.display_name or r.name for r in conn.execute(q)}


def set_disabled(store, name: str, disabled: bool, *, actor: str, office: str | None = None) -> None:
    """Disable (or enable) user ``name`` of ``office``: a disabled user cannot act, log in or use a token."""
    user = get_user(store, name, office)
    with store.transaction() as conn:
        conn.execute(update(users).where(users.c.id == user["id"]).values(disabled=disabled))
        kind = EventKind.USER_DISABLED if disabled else EventKind.USER_ENABLED
        store.event(conn, kind, actor=actor, office=user["office"], user=name)


def set_password(store, name: str, password: str, *, actor: str, office: str | None = None,
                 keep_session: str | None = None, policy: PasswordPolicy | None = None) -> int:
    """Set the console password (Argon2id) of user ``name`` of ``office`` and end the user's console sessions, all
    but ``keep_session`` (the SHA-256 of the session that changed it); returns how many were ended."""
    hashed = hash_password(password, user_name=name, policy=policy)
    user = get_user(store, name, office)
    with store.transaction() as conn:
        conn.execute(update(users).where(users.c.id == user["id"])
                     .values(password_hash=hashed, failed_logins=0, locked_until=None))
        ended = conn.execute(delete(console_sessions).where(console_sessions.c.user_id == user["id"],
                                                            console_sessions.c.id_sha256 != (keep_session or ""))
                             ).rowcount
        store.event(conn, EventKind.PASSWORD_SET, actor=actor, office=user["office"], user=name,
                    sessions_ended=ended)
    return ended


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(store, name: str, *, actor: str, office: str | None = None, label: str = "",
              expires_days: float | None = None) -> str:
    """Issue an API token for user ``name`` of ``office`` (``label`` says what it is for; it expires after
    ``expires_days``, never when None); only its digest is stored, so it is shown once."""
    user = get_user(store, name, office)
    if len(label) > 80 or any(not c.isprintable() for c in label):
        raise InputError(_("at most 80 printable characters"), field="--name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = store.clock.now()
    expires = now + timedelta(days=expires_days) if expires_days is not None else None
    with store.transaction() as conn:
        token_id = conn.execute(insert(api_tokens).values(
            user_id=user["id"], token_sha256=_token_digest(token), created_at=now, name=label, expires_at=expires)
        ).inserted_primary_key[0]
        store.event(conn, EventKind.TOKEN_ISSUED, actor=actor, office=user["office"], user=name, token_id=token_id,
                    token_name=label, expires_at=expires.isoformat() if expires else None)
    return token


def list_tokens(store, name: str, office: str | None = None) -> list[dict]:
    """The tokens of user ``name`` of ``office``, newest first: id, name, created, expires, last used, revoked (never
    the token)."""
    user = get_user(store, name, office)
    q = (select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.created_at, api_tokens.c.expires_at,
                api_tokens.c.last_used_at, api_tokens.c.revoked_at)
         .where(api_tokens.c.user_id == user["id"]).order_by(api_tokens.c.id.desc()))
    with reading(store.engine) as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def token_owner(store, token_id: int) -> dict:
    """The users row of the user a token belongs to; NotFound when there is no such token."""
    q = select(users).join(api_tokens, api_tokens.c.user_id == users.c.id).where(api_tokens.c.id == token_id)
    with reading(store.engine) as conn:
        row = conn.execute(q).mappings().first()
    if row is None:
        raise NotFound(_("no token {id}").format(id=token_id))
    return dict(row)


def revoke_token(store, token_id: int, *, actor: str) -> bool:
    """Revoke one token (False when it was revoked already); NotFound when there is none."""
    owner = token_owner(store, token_id)
    with store.transaction() as conn:
        done = conn.execute(update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                            .values(revoked_at=store.clock.now())).rowcount
        if done:
            store.event(conn, EventKind.TOKEN_REVOKED, actor=actor, office=owner["office"], user=owner["name"],
                        token_id=token_id)
    return bool(done)


def user_for_token(store, token: str) -> Actor | None:
    """The enabled user a live (not revoked, not expired) token belongs to, or None; records its use."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    now = store.clock.now()
    q = (select(users, api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at)
         .join(api_tokens, api_tokens.c.user_id == users.c.id)
         .where(api_tokens.c.token_sha256 == _token_digest(token), api_tokens.c.revoked_at.is_(None),
                or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now)))
    with reading(store.engine) as conn:
        row = conn.execute(q).mappings().first()
    if row is None or row["disabled"]:
        return None
    if row["last_used_at"] is None or row["last_used_at"] <= now - TOKEN_TOUCH:
        with store.transaction() as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.id == row["token_id"]).values(last_used_at=now))
    return actor_from_row(row)


def actor_from_row(row) -> Actor:
    """The Actor for a users row."""
    return Actor(name=row["name"], office=row["office"], role=Role(row["role"]), display_name=row["display_name"],
                 user_id=row["id"])


def resolve_actor(store, name: str | None, *, default_office: str, fallback: str, office: str | None = None) -> Actor:
    """The acting user of a command: ``name`` (``--as``/``$PUBLISHER_USER``) of ``office`` (``--office``/
    ``$PUBLISHER_OFFICE``; else the configuration's office, else the only office with that name), or the OS account
    ``fallback``."""
    name = name if name is not None else os.environ.get("PUBLISHER_USER") or None
    office = office if office is not None else os.environ.get("PUBLISHER_OFFICE") or None
    if name is None:
        return Actor(name=fallback, office=office or default_office)
    try:
        row = get_user(store, name, office, prefer=default_office)
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
