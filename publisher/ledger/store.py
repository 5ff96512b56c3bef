"""The store: items, deliveries and the append-only event log, over one SQLAlchemy engine."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from publisher.ledger import audit, record_view, wakeup
from publisher.adapter import Attachment, Catalogue, ItemView
from publisher.foundation.clock import Clock, SystemClock
from publisher.db.engine import make_engine
from publisher.db.pause_file import PauseFile
from publisher.ledger.deliveries import new_delivery
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.item_status import ItemStatus
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.ledger.review_state import ReviewState
from publisher.foundation.i18n import _
from publisher.errors import NotFound
from publisher.foundation.redact import scrub_data
from publisher.db.schema import (
    attachments, channel_pauses, check_fits, deliveries, events, gate_findings, item_revisions, items,
)
from publisher.db.engine import reading

DELIVERY_STATUSES = tuple(s.value for s in DeliveryStatus)


class Store:
    """Reads and writes of the queue and ledger; every change also appends an event."""

    def __init__(self, engine: Engine, clock: Clock | None = None, attachments_dir: Path | None = None):
        self.engine = engine
        self.clock = clock or SystemClock()
        self.attachments_dir = attachments_dir
        audit.follow_savepoints(engine)
        self.wakeup = wakeup.for_engine(engine)

    @classmethod
    def open(cls, url: str, clock: Clock | None = None, attachments_dir: Path | None = None,
             schema: bool | str = True) -> "Store":
        """Open the database at ``url``; ``schema`` says what may be done to its schema (see db.SchemaPolicy)."""
        return cls(make_engine(url, migrate_schema=schema), clock, attachments_dir)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: everything inside commits together or not at all."""
        marked = False
        with self.engine.begin() as conn:
            conn.info.pop(wakeup.MARK, None)  # left by a write outside this method
            conn.info[audit.BUFFER] = pending = []
            try:
                yield conn
                audit.seal(conn, pending)
                self.wakeup.before_commit(conn)
            finally:
                conn.info.pop(audit.BUFFER, None)
                conn.info.pop(audit.BUFFER + "_marks", None)
                marked = conn.info.pop(wakeup.MARK, False)
        self.wakeup.after_commit(marked)

    # -- events -------------------------------------------------------------------------------
    def event(self, conn: Connection, kind: str, *, actor: str, item_id: int | None = None,
              delivery_id: int | None = None, channel: str | None = None, office: str | None = None,
              **detail: Any) -> None:
        """Append one event to the audit chain."""
        audit.append(conn, [{
            "at": self.clock.now(), "item_id": item_id, "delivery_id": delivery_id, "channel": channel,
            "office": office, "kind": str(kind), "actor": actor,
            "detail": scrub_data({k: v for k, v in detail.items() if v is not None}),
        }])

    def events_for(self, item_id: int) -> list[dict]:
        """The item's history, oldest first."""
        with reading(self.engine) as conn:
            rows = conn.execute(select(events).where(events.c.item_id == item_id).order_by(events.c.id))
            return [dict(r._mapping) for r in rows]

    # -- items --------------------------------------------------------------------------------
    def insert_item(self, conn: Connection, *, title: str, category: str, body_html: str, publish_at: datetime,
                    channels: list[str], actor: str, summary: str = "", author: str = "", department: str = "",
                    channel_options: dict | None = None, files: list[dict] | None = None,
                    series: str | None = None, occurrence_key: str | None = None,
                    review_state: str = ReviewState.APPROVED, office: str = "default", key: str | None = None,
                    source: str | None = None, catalogue: dict | None = None, time_given: bool = True,
                    **detail: Any) -> int:
        """Insert an item (revision 1) with one pending delivery per channel, inside ``conn``'s transaction;
        ``catalogue`` holds its catalogue columns (文号, 成文日期 …)."""
        now = self.clock.now()
        uid = uuid.uuid4().hex
        row = dict(
            uid=uid, title=title, category=category, body_html=body_html, summary=summary, author=author,
            department=department, publish_at=publish_at, created_at=now, created_by=actor,
            status=ItemStatus.ACTIVE.value, review_state=ReviewState(review_state).value,
            channel_options=channel_options or {}, series=series, occurrence_key=occurrence_key, office=office,
            key=key, revision=1, held=False, gate_unchecked=[], time_given=time_given, **(catalogue or {}),
        )
        check_fits(items, row)
        for f in files or []:
            check_fits(attachments, f)
        item_id = conn.execute(_INSERT_ITEM, row).inserted_primary_key[0]
        for f in files or []:
            conn.execute(insert(attachments).values(item_id=item_id, **f))
        conn.execute(_INSERT_REVISION, dict(
            item_id=item_id, revision=1, title=title, summary=summary, body_html=body_html, created_at=now,
            created_by=actor, attachments=[{"sha256": f["sha256"], "filename": f["filename"]}
                                           for f in files or [] if not f.get("inline")]))
        for channel in channels:
            conn.execute(_INSERT_DELIVERY, new_delivery(item_id, uid, channel, next_attempt_at=publish_at, now=now))
        self.event(conn, EventKind.QUEUED, actor=actor, item_id=item_id, office=office, channels=channels,
                   publish_at=publish_at.isoformat(), series=series, occurrence=occurrence_key, key=key,
                   source=source, review_state=_shown_state(review_state), **_catalogue_detail(catalogue), **detail)
        return item_id

    def existing_keys(self, office: str, keys: list[str]) -> dict[str, int]:
        """Which of ``keys`` the office's items have already: key → item id."""
        found: dict[str, int] = {}
        with reading(self.engine) as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                found.update(conn.execute(select(items.c.key, items.c.id).where(
                    and_(items.c.office == office, items.c.key.in_(chunk)))).all())
        return found

    def items_with_findings(self, ids: list[int]) -> list[int]:
        """Which of ``ids`` the gate found something in (on their current revision)."""
        found: list[int] = []
        with reading(self.engine) as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                found += conn.execute(select(gate_findings.c.item_id).distinct().join(
                    items, and_(items.c.id == gate_findings.c.item_id, items.c.revision == gate_findings.c.revision))
                    .where(gate_findings.c.item_id.in_(chunk))).scalars()
        return sorted(found)

    def earlier_import(self, office: str, sha256: str) -> dict | None:
        """The last import of a file with these bytes into the office: {at, actor, count}, or None."""
        with reading(self.engine) as conn:
            rows = conn.execute(select(events.c.at, events.c.actor, events.c.detail)
                                .where(and_(events.c.kind == EventKind.IMPORTED.value, events.c.office == office))
                                .order_by(events.c.id.desc())).all()
        for row in rows:
            if (row.detail or {}).get("sha256") == sha256:
                return {"at": row.at, "actor": row.actor, "count": (row.detail or {}).get("count", 0)}
        return None

    def item_row(self, conn: Connection, item_id: int) -> dict:
        """The item's row; NotFound when there is none."""
        row = conn.execute(_ITEM, {"item_id": item_id}).first()
        if row is None:
            raise NotFound(_("no item with id {id}").format(id=item_id))
        return dict(row._mapping)

    def item_view(self, conn: Connection, item_id: int, channel: str, *, sent_first: datetime | None = None) -> ItemView:
        """What the adapter for ``channel`` sees of the item (as first sent at ``sent_first``, see build_item_view)."""
        row = self.item_row(conn, item_id)
        files = conn.execute(_ATTACHMENTS, {"item_id": item_id}).all()
        urls = {u.channel: u.external_url for u in conn.execute(_PUBLISHED_URLS, {"item_id": item_id})
                if u.status == DeliveryStatus.PUBLISHED.value}
        views = {(item_id, channel): build_item_view(row, [dict(f._mapping) for f in files], urls, channel,
                                                     self.attachments_dir, now=sent_first or self.clock.now())}
        record_view.decorate(conn, views, look_for_interpretations={item_id})
        return views[(item_id, channel)]

    def item_views(self, conn: Connection, wanted: list[tuple[int, str]], *,
                   sent_first: dict[tuple[int, str], datetime] | None = None) -> dict[tuple[int, str], ItemView]:
        """What the adapters see of many items at once: (item id, channel) → ItemView, three queries in all; a
        copy in ``sent_first`` as its first attempt sent it (see build_item_view)."""
        ids = sorted({item_id for item_id, _channel in wanted})
        if not ids:
            return {}
        rows = {r.id: dict(r._mapping) for r in conn.execute(_ITEMS, {"ids": ids})}
        files: dict[int, list[dict]] = {}
        for f in conn.execute(_ATTACHMENTS_OF, {"ids": ids}):
            files.setdefault(f.item_id, []).append(dict(f._mapping))
        urls: dict[int, dict[str, str]] = {}
        for u in conn.execute(_PUBLISHED_URLS_OF, {"ids": ids}):
            if u.status == DeliveryStatus.PUBLISHED.value:
                urls.setdefault(u.item_id, {})[u.channel] = u.external_url
        now, sent_first = self.clock.now(), sent_first or {}
        views = {(item_id, channel): build_item_view(rows[item_id], files.get(item_id, []), urls.get(item_id, {}),
                                                     channel, self.attachments_dir,
                                                     now=sent_first.get((item_id, channel)) or now)
                 for item_id, channel in wanted if item_id in rows}
        # a 解读 waits for its policy's first publication: only items out already can have one to link to
        record_view.decorate(conn, views, look_for_interpretations={
            i for i, r in rows.items() if r.get("first_published_at") is not None})
        return views

    def get_item(self, item_id: int) -> dict:
        """The item with its deliveries, as ``item show`` prints it."""
        with reading(self.engine) as conn:
            row = self.item_row(conn, item_id)
            rows = conn.execute(select(deliveries).where(deliveries.c.item_id == item_id).order_by(deliveries.c.id)).all()
            files = conn.execute(select(attachments).where(attachments.c.item_id == item_id).order_by(attachments.c.id)).all()
        row["deliveries"] = [dict(r._mapping) for r in rows]
        row["attachments"] = [dict(f._mapping) for f in files]
        return row

    def list_items(self, status: str | None = None, limit: int = 200) -> list[dict]:
        """Recent items with a per-status count of their deliveries; ``status`` filters by delivery status."""
        with reading(self.engine) as conn:
            query = select(items).order_by(items.c.id.desc()).limit(limit)
            if status:
                query = query.where(items.c.id.in_(select(deliveries.c.item_id).where(deliveries.c.status == status)))
            rows = [dict(r._mapping) for r in conn.execute(query)]
            ids = [r["id"] for r in rows]
            per: dict[int, list[dict]] = {i: [] for i in ids}
            if ids:
                for d in conn.execute(select(deliveries.c.item_id, deliveries.c.channel, deliveries.c.status)
                                      .where(deliveries.c.item_id.in_(ids)).order_by(deliveries.c.id)):
                    per[d.item_id].append({"channel": d.channel, "status": d.status})
        for r in rows:
            r["deliveries"] = per[r["id"]]
        return rows

    def delivery_counts(self) -> dict[str, int]:
        """How many deliveries are in each status."""
        with reading(self.engine) as conn:
            return dict(conn.execute(select(deliveries.c.status, func.count()).group_by(deliveries.c.status)).all())

    # -- channel pauses -----------------------------------------------------------------------
    def pause_channel(self, channel: str, reason: str, until: datetime | None, actor: str) -> None:
        """Stop claiming deliveries for ``channel`` until ``until`` (None: until resumed)."""
        values = dict(since=self.clock.now(), until=until, reason=reason)
        with PauseFile.of(self.engine).changing(), self.transaction() as conn:
            changed = conn.execute(update(channel_pauses).where(channel_pauses.c.channel == channel).values(**values)).rowcount
            if not changed:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(channel_pauses).values(channel=channel, **values))
                except IntegrityError:  # another worker paused it at the same moment
                    conn.execute(update(channel_pauses).where(channel_pauses.c.channel == channel).values(**values))
            self.event(conn, EventKind.PAUSED, actor=actor, channel=channel, reason=reason,
                       until=until.isoformat() if until else None)

    def resume_channel(self, channel: str, actor: str) -> bool:
        """Lift a pause; True when there was one."""
        with PauseFile.of(self.engine).changing(), self.transaction() as conn:
            done = conn.execute(delete(channel_pauses).where(channel_pauses.c.channel == channel)).rowcount
            if done:
                self.event(conn, EventKind.RESUMED, actor=actor, channel=channel)
            return bool(done)

    def paused_channels(self) -> dict[str, dict]:
        """Channels paused now: name → {since, until, reason}."""
        now = self.clock.now()
        with reading(self.engine) as conn:
            rows = conn.execute(select(channel_pauses)).all()
        return {r.channel: dict(r._mapping) for r in rows if r.until is None or r.until > now}


# Statements used once per delivery, built once so SQLAlchemy's compiled cache does the rest.
def _catalogue_detail(catalogue: dict | None) -> dict:
    """The catalogue fields given, for the queued event (dates as text)."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in (catalogue or {}).items()
            if v not in (None, "", "主动公开")}


#: the catalogue columns an ItemView carries (publisher.adapter.Catalogue)
CATALOGUE_COLUMNS = ("index_no", "issuer", "doc_no", "written_on", "subject", "genre", "disclosure", "validity",
                     "validity_on")
_INSERT_ITEM = insert(items)
_INSERT_REVISION = insert(item_revisions)
_INSERT_DELIVERY = insert(deliveries)
_ITEM = select(items).where(items.c.id == bindparam("item_id"))
_ATTACHMENTS = select(attachments).where(attachments.c.item_id == bindparam("item_id")).order_by(attachments.c.id)
# Copies with a URL, by the item's deliveries (one per channel); the caller keeps the published ones. Filtering
# the status in SQL would let SQLite, which has no statistics, read every published delivery by status instead.
_PUBLISHED_URLS = select(deliveries.c.channel, deliveries.c.status, deliveries.c.external_url).where(and_(
    deliveries.c.item_id == bindparam("item_id"), deliveries.c.external_url.is_not(None)))
#: the columns an ItemView is built from (build_item_view), not the review's and the gate's
VIEW_COLUMNS = ("id", "uid", "title", "category", "body_html", "publish_at", "summary", "author", "department",
                "channel_options", "revision", "first_published_at") + CATALOGUE_COLUMNS
_ITEMS = select(*(items.c[name] for name in VIEW_COLUMNS)).where(items.c.id.in_(bindparam("ids", expanding=True)))
_ATTACHMENTS_OF = (select(attachments).where(attachments.c.item_id.in_(bindparam("ids", expanding=True)))
                   .order_by(attachments.c.id))
_PUBLISHED_URLS_OF = (select(deliveries.c.item_id, deliveries.c.channel, deliveries.c.status, deliveries.c.external_url)
                      .where(and_(deliveries.c.item_id.in_(bindparam("ids", expanding=True)),
                                  deliveries.c.external_url.is_not(None))))


def _shown_state(review_state: str) -> str | None:
    """The review state a ``queued`` event records: none for an item approved from the start."""
    state = ReviewState(review_state)
    return None if state is ReviewState.APPROVED else state.value


def build_item_view(row: dict, files: list[dict], urls: dict[str, str], channel: str,
                    attachments_dir: Path | None, *, now: datetime | None = None) -> ItemView:
    """Assemble an ItemView from rows (attachment paths resolved in the content store); its publication time is
    the first channel's acceptance, else the later of the scheduled time and ``now`` (never back-dated).

    A delivery's copy is built with ``now`` at its first attempt, so every attempt under its idempotency key sends
    the time the first one did: an acceptance recorded after that moment does not change it."""
    from publisher.ledger.blobs import blob_path

    def to_attachment(f: dict) -> Attachment:
        path = blob_path(attachments_dir, f["sha256"]) if attachments_dir else Path(f["sha256"])
        return Attachment(path=path, filename=f["filename"], mime=f["mime"], sha256=f["sha256"], size=f["size"])

    options = (row.get("channel_options") or {}).get(channel, {})
    return ItemView(
        id=row["id"], uid=row["uid"], title=row["title"], category=row["category"], body_html=row["body_html"],
        publish_at=_real_publish_time(row, now), summary=row["summary"] or "", author=row["author"] or "",
        department=row["department"] or "",
        attachments=tuple(to_attachment(f) for f in files if not f["inline"]),
        inline_images={f["sha256"]: to_attachment(f) for f in files if f["inline"]},
        channel_options=dict(options),
        published_urls={k: v for k, v in urls.items() if k != channel},
        revision=row.get("revision") or 1,
        catalogue=Catalogue(**{name: row[name] for name in CATALOGUE_COLUMNS if row.get(name) is not None}),
    )


def _real_publish_time(row: dict, now: datetime | None) -> datetime:
    first = row.get("first_published_at")
    if first is not None and (now is None or first <= now):
        return first
    return max(row["publish_at"], now) if now is not None else row["publish_at"]
