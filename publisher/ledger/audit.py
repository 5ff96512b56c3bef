"""The audit chain: every event is appended with its place in the chain and a hash over the one before.

An event's hash is sha256(previous hash + the event's canonical JSON). Editing an event changes its hash;
removing one leaves a gap in ``seq``. Two attacks need something kept outside the database: rewriting an event
and recomputing every later hash is caught by ``mac``, the HMAC of each hash under a key from the environment
(config ``audit.key_env``, see :func:`use_key`); deleting the last events is caught by checkpoints of the chain's
head written to a file (:mod:`publisher.ledger.audit_checkpoints`). :func:`verify` names the first event that
no longer fits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Connection, and_, bindparam, event, insert, or_, select, update

from publisher.db import script
from publisher.db.prepared import Prepared
from publisher.db.schema import events, items

GENESIS = "0" * 64
PG_AUDIT_LOCK = 4242002
FIELDS = ("seq", "at", "item_id", "delivery_id", "channel", "kind", "actor", "office", "detail")
_INSERT = Prepared(insert(events).values({name: bindparam(name) for name in (*FIELDS, "hash", "mac")}))
_KEYS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # engine → the chain's key (bytes)


def use_key(engine, key: str | None) -> None:
    """Seal every event appended through ``engine`` with ``key`` (None: unkeyed, as before revision 0011)."""
    if key:
        _KEYS[engine] = key.encode()
    else:
        _KEYS.pop(engine, None)


def event_mac(key: bytes, hash_: str) -> str:
    """The seal of an event's hash under the chain's key."""
    return hmac.new(key, hash_.encode(), hashlib.sha256).hexdigest()


_HASHED_TIME = "%04d-%02d-%02dT%02d:%02d:%02d.%06d"  # strftime("%Y-%m-%dT%H:%M:%S.%f") for years from 1000


def _canonical(row: dict[str, Any]) -> bytes:
    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            utc = value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)
            if utc.year < 1000:  # strftime leaves such a year unpadded; the chain keeps what it hashed
                return utc.strftime("%Y-%m-%dT%H:%M:%S.%f")
            return _HASHED_TIME % (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond)
        return value
    return _ENCODER.encode({k: plain(row.get(k)) for k in FIELDS}).encode()


# json.dumps with these arguments, without building an encoder per event
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(previous: str, row: dict[str, Any]) -> str:
    """The hash of ``row`` following an event whose hash is ``previous``."""
    return hashlib.sha256(previous.encode() + _canonical(row)).hexdigest()


# keyed by the schema too: offices in other schemas of the same database do not wait for each other
_LOCK = f"SELECT pg_advisory_xact_lock({PG_AUDIT_LOCK}, hashtext(current_schema()))"
# the chain's tail by the unique index on seq (one index probe); plain SQL, as it runs once per transaction
_TAIL = "SELECT seq, hash FROM events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"


def _lock_and_tail(conn: Connection) -> tuple[int, str]:
    if conn.dialect.name == "postgresql":  # one round trip: the tail is read after the lock is granted
        rows = script.on_connection(conn, f"{_LOCK}; {_TAIL}")[1]
        last = rows[0] if rows else None
    else:  # SQLite writers are serialised already (BEGIN IMMEDIATE)
        last = conn.exec_driver_sql(_TAIL).first()
    return (int(last[0]), last[1]) if last else (0, GENESIS)


BUFFER = "publisher_audit_buffer"
_FOLLOWED: "weakref.WeakSet" = weakref.WeakSet()


def append(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Append events (dicts with at, kind, actor and optionally item_id, delivery_id, channel, office, detail).

    Inside :meth:`Store.transaction` they are chained when the transaction ends, so the chain's lock is taken
    last and held only until the commit; elsewhere at once.
    """
    buffer = conn.info.get(BUFFER)
    if buffer is None:
        seal(conn, list(rows))
    else:
        buffer.extend(rows)


def follow_savepoints(engine) -> None:
    """Drop events buffered inside a savepoint that rolls back (their rows are gone too)."""
    if engine in _FOLLOWED:
        return
    _FOLLOWED.add(engine)

    @event.listens_for(engine, "savepoint")
    def _mark(conn, name):
        buffer = conn.info.get(BUFFER)
        if buffer is not None:
            conn.info.setdefault(BUFFER + "_marks", []).append(len(buffer))

    @event.listens_for(engine, "rollback_savepoint")
    def _drop(conn, name, context):
        marks = conn.info.get(BUFFER + "_marks")
        if marks:
            del conn.info[BUFFER][marks.pop():]

    @event.listens_for(engine, "release_savepoint")
    def _keep(conn, name, context):
        marks = conn.info.get(BUFFER + "_marks")
        if marks:
            marks.pop()


def seal(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Give ``rows`` the next places in the chain and insert them."""
    if not rows:
        return
    seq, previous = _lock_and_tail(conn)
    key = _KEYS.get(conn.engine)
    sealed = []
    for row in rows:
        seq += 1
        row = {"item_id": None, "delivery_id": None, "channel": None, "office": None, **row, "seq": seq}
        detail = row.get("detail") or {}
        row["detail"] = detail if _plain(detail) else json.loads(json.dumps(detail, ensure_ascii=False, default=str))
        row["hash"] = previous = event_hash(previous, row)
        row["mac"] = event_mac(key, previous) if key else None
        sealed.append(row)
    _INSERT.executemany(conn, sealed)


def _plain(value: Any) -> bool:
    """True when ``value`` reads back from JSON as it is (so it need not be passed through JSON first)."""
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return False


def chain_unsealed(conn: Connection) -> int:
    """Give every event without a place in the chain one, in id order (used by the upgrade); returns how many."""
    seq, previous = _lock_and_tail(conn)
    columns = [events.c.id, *(events.c[name] for name in FIELDS)]  # not ``mac``: 0003's upgrade calls this
    rows = conn.execute(select(*columns).where(events.c.seq.is_(None)).order_by(events.c.id)).mappings().all()
    for row in rows:
        seq += 1
        row = {**row, "seq": seq}
        previous = event_hash(previous, row)
        conn.execute(update(events).where(events.c.id == row["id"]).values(seq=seq, hash=previous))
    return len(rows)


@dataclass
class ChainProblem:
    """The first place where the chain does not hold."""

    event_id: int | None
    seq: int
    message: str


def verify(conn: Connection, *, key: bytes | None = None,
           checkpoints: dict[int, tuple[str, str | None]] | None = None) -> tuple[int, ChainProblem | None]:
    """Walk the chain; returns (events checked, the first problem or None).

    With ``key``, every event from the first sealed one on must carry its seal; ``checkpoints`` (seq → hash, kept
    outside the database: seq → (hash, seal)) must all still be in the chain, the last one included.
    """
    previous, expected, checked, keyed = GENESIS, 1, 0, False
    checkpoints = checkpoints or {}
    result = conn.execute(select(events).order_by(events.c.seq.is_(None), events.c.seq, events.c.id)).mappings()
    for row in result:
        problem = _problem(row, expected, previous)
        if problem is None and key is not None:
            keyed = keyed or row["mac"] is not None
            problem = _seal_problem(row, key, keyed)
        if problem is None and not _matches(checkpoints.get(row["seq"]), row):
            problem = ChainProblem(row["id"], expected, f"event {row['id']} (no. {expected}) differs from the "
                                   "checkpoint written outside the database: the chain was rewritten from here on")
        if problem is not None:
            return checked, problem
        previous, expected, checked = row["hash"], expected + 1, checked + 1
    beyond = max(checkpoints, default=0)
    if beyond > checked:
        return checked, ChainProblem(None, expected, f"the chain ends at event no. {checked}, but a checkpoint "
                                     f"written outside the database saw no. {beyond}: the last events were removed")
    return checked, None


def _matches(checkpoint: tuple[str, str | None] | None, row) -> bool:
    if checkpoint is None:
        return True
    hash_, seal_ = checkpoint
    return hash_ == row["hash"] and (seal_ is None or seal_ == row["mac"])


def _problem(row, expected: int, previous: str) -> ChainProblem | None:
    if row["seq"] is None:
        return ChainProblem(row["id"], expected, f"event {row['id']} was added outside the audit chain")
    if row["seq"] != expected:
        return ChainProblem(row["id"], expected, f"event no. {expected} of the chain is missing (removed); the next "
                            f"is event {row['id']} (no. {row['seq']})")
    if event_hash(previous, dict(row)) != row["hash"]:
        return ChainProblem(row["id"], expected, f"event {row['id']} (no. {expected}, {row['kind']}) was altered")
    return None


def _seal_problem(row, key: bytes, keyed: bool) -> ChainProblem | None:
    if not keyed:
        return None  # before the key was configured
    if row["mac"] is None or not hmac.compare_digest(row["mac"], event_mac(key, row["hash"])):
        return ChainProblem(row["id"], row["seq"], f"event {row['id']} (no. {row['seq']}, {row['kind']}) does not "
                            "carry the audit key's seal: it was rewritten and the hashes recomputed")
    return None


def query(conn: Connection, *, office: str | None = None, item_id: int | None = None, actor: str | None = None,
          since: datetime | None = None, limit: int = 500, offset: int = 0) -> list[dict]:
    """Events, newest first, scoped to ``office`` (an item's events belong to the item's office)."""
    q = select(events).outerjoin(items, items.c.id == events.c.item_id)
    conditions = []
    if office is not None:
        conditions.append(or_(items.c.office == office, and_(events.c.item_id.is_(None), events.c.office == office)))
    if item_id is not None:
        conditions.append(events.c.item_id == item_id)
    if actor is not None:
        conditions.append(or_(events.c.actor == actor, events.c.actor.like(actor + "@%")))
    if since is not None:
        conditions.append(events.c.at >= since)
    if conditions:
        q = q.where(and_(*conditions))
    q = q.order_by(events.c.id.desc()).limit(limit).offset(offset)
    return [dict(r) for r in conn.execute(q).mappings()]
