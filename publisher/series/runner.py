"""Turn configured series into items: create due occurrences, retry late data, queue each one exactly once.

Every occurrence is a row of ``series_occurrences`` keyed by (series, local time); rows are created with
INSERT ... ON CONFLICT DO NOTHING and claimed with a compare-and-set UPDATE, so any number of runners
(threads, daemons) can share one database without creating an occurrence twice. ``series_state`` holds
each series' watermark: the time up to which its schedule has been turned into rows.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, select, update
from sqlalchemy.exc import IntegrityError

from ..content import sanitize_html
from ..standing import state_for_occurrence
from ..errors import InputError
from ..db import reading
from ..http import ThreadSessions
from ..schema import deliveries, items, series_occurrences as occ, series_state
from .attempt import Attempt, attempt_occurrence, deadline_for, local_time
from .errors import SeriesError
from .models import HttpSource, SeriesConfig
from .schedule import manual_occurrence, next_occurrence, occurrence_key, occurrences_between, plan_catch_up

log = logging.getLogger("publisher.series")

MIN_LEASE = timedelta(minutes=5)
BATCH = 200  # waiting occurrences worked per tick at most


@dataclass
class TickStats:
    """What one :meth:`SeriesRunner.tick` did: counts by outcome (created, skipped, queued, waiting, ...)."""

    outcomes: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class Rendered:
    """A manual occurrence rendered without writing anything (``series run --dry-run``)."""

    series: str
    occurrence_key: str
    scheduled_at: datetime
    title: str
    body_html: str


@dataclass(frozen=True)
class Issued:
    """A manual occurrence queued by ``series run``."""

    series: str
    occurrence_key: str
    scheduled_at: datetime
    item_id: int


class SeriesRunner:
    """Creates due occurrences of the configured series and queues their items (one App, one clock)."""

    def __init__(self, app: Any, *, grace: timedelta = timedelta(minutes=10)):
        self.app = app
        self.grace = grace
        self._sessions = ThreadSessions()

    # -- the daemon's job ---------------------------------------------------------------------------
    def tick(self) -> TickStats:
        """Create the occurrences due by now (catching up after downtime), then try every due waiting one."""
        stats = TickStats()
        now = self.app.clock.now()
        for name, series in self._all_series().items():
            try:
                self._plan(name, series, now, stats)
            except Exception:  # one broken series must not stop the others
                log.exception("series %s: creating occurrences failed", name)
        try:
            self._work(now, stats)
        finally:
            self._sessions.close()  # sources' connections are not kept between ticks
        return stats

    def next_due(self) -> datetime | None:
        """When :meth:`tick` next has something to do: the next scheduled firing or retry (None: never)."""
        enabled = {n: s for n, s in self._all_series().items() if s.enabled}
        if not enabled:
            return None
        now = self.app.clock.now()
        with reading(self.app.store.engine) as conn:
            marks = dict(conn.execute(select(series_state.c.series, series_state.c.since)
                                      .where(series_state.c.series.in_(list(enabled)))).all())
            retry = conn.execute(select(func.min(occ.c.next_try_at)).where(and_(
                occ.c.status == "waiting", occ.c.series.in_(list(enabled))))).scalar()
        times = [_aware(retry)] if retry is not None else []
        for name, series in enabled.items():
            since = _aware(marks[name]) if name in marks else now
            times.append(next_occurrence(series.schedule, self.tz, since))
        return min(times)

    # -- editors' commands --------------------------------------------------------------------------
    def render(self, name: str, on: date) -> Rendered:
        """Render the occurrence ``series run NAME --date ON`` stands for, writing nothing (see :func:`render_manual`)."""
        return render_manual(self.app.config, name, on, self.app.clock.now())

    def issue(self, name: str, on: date) -> Issued:
        """Create the occurrence of ``on`` by hand and queue its item now (``series run``).

        The day's key is used when it is free, or when its occurrence has no item yet (waiting, skipped,
        missing data: this fulfils it); otherwise the item is a re-issue under ``KEY#2``, ``KEY#3``...
        Nothing is written unless the data is there and renders. Raises :class:`SeriesError`.
        """
        series = find_series(self.app.config, name)
        scheduled = manual_occurrence(series.schedule, self.tz, on)
        now = self.app.clock.now()
        attempt = _attempt_now(self.app.config, series, scheduled, now)
        prepared = self._prepare(series, attempt)
        base = occurrence_key(scheduled, self.tz)
        store = self.app.store
        with store.transaction() as conn:
            occ_id, key = self._allocate(conn, name, base, scheduled, now)
            item_id = self._insert_item(conn, name, key, prepared, manual=True)
            conn.execute(update(occ).where(occ.c.id == occ_id).values(item_id=item_id))
        log.info("series %s: %s queued by hand as item %s", name, key, item_id)
        return Issued(name, key, scheduled.astimezone(self.tz), item_id)

    def earlier_items(self, issued: Issued) -> list[int]:
        """Items issued before ``issued`` for the same day (its key and its ``#n`` re-issues), not retracted."""
        base = issued.occurrence_key.split("#", 1)[0]
        with reading(self.app.store.engine) as conn:
            rows = conn.execute(select(items.c.id, items.c.occurrence_key).where(and_(
                items.c.series == issued.series, items.c.status != "retracted", items.c.id != issued.item_id,
                items.c.occurrence_key.like(f"{base}%")))).all()
        return [r.id for r in rows if r.occurrence_key == base or r.occurrence_key.startswith(base + "#")]

    def overview(self) -> list[dict]:
        """Each configured series with its next occurrence, last occurrence (and its deliveries) and counts."""
        now = self.app.clock.now()
        out = []
        with reading(self.app.store.engine) as conn:
            for name, series in self._all_series().items():
                last = conn.execute(select(occ).where(occ.c.series == name)
                                    .order_by(occ.c.scheduled_at.desc(), occ.c.id.desc()).limit(1)).first()
                problem = conn.execute(select(occ).where(and_(
                    occ.c.series == name, occ.c.status.in_(("missing_data", "failed", "skipped"))))
                    .order_by(occ.c.scheduled_at.desc(), occ.c.id.desc()).limit(1)).first()
                counts = dict(conn.execute(select(occ.c.status, func.count()).where(occ.c.series == name)
                                           .group_by(occ.c.status)).all())
                out.append({
                    "series": name,
                    "category": series.category,
                    "schedule": series.schedule,
                    "enabled": series.enabled,
                    "channels": series.channels or self.app.config.default_channels(series.category),
                    "next_occurrence": (next_occurrence(series.schedule, self.tz, now).astimezone(self.tz)
                                        if series.enabled else None),
                    "last": self._describe(conn, last) if last else None,
                    "last_problem": self._describe(conn, problem) if problem else None,
                    "counts": counts,
                })
        return out

    @property
    def tz(self):
        """The office's time zone (schedules and keys are in it)."""
        return self.app.config.tz

    # -- creating occurrences -----------------------------------------------------------------------
    def _all_series(self) -> dict[str, SeriesConfig]:
        return dict(self.app.config.series or {})

    def _watermark(self, name: str, now: datetime) -> datetime:
        with reading(self.app.store.engine) as conn:
            since = conn.execute(select(series_state.c.since).where(series_state.c.series == name)).scalar()
        if since is not None:
            return _aware(since)
        with self.app.store.transaction() as conn:  # first sight of this series: it starts now
            conn.execute(_insert(conn, series_state).values(series=name, since=now)
                         .on_conflict_do_nothing(index_elements=["series"]))
            return _aware(conn.execute(select(series_state.c.since).where(series_state.c.series == name)).scalar())

    def _plan(self, name: str, series: SeriesConfig, now: datetime, stats: TickStats) -> None:
        since = self._watermark(name, now)
        if not series.enabled:  # a disabled series does not pile up a backlog for when it is enabled again
            if occurrences_between(series.schedule, self.tz, since, now):
                self._advance(name, now)
            return
        plan = plan_catch_up(series.schedule, self.tz, since, now, missed=series.missed,
                             catch_up_limit=series.catch_up_limit, grace=self.grace)
        if not plan.create and not plan.skip:
            return
        rows = [(t, None) for t in plan.create] + list(plan.skip)
        actor = self._actor()
        with self.app.store.transaction() as conn:
            for scheduled, reason in sorted(rows, key=lambda r: r[0]):
                key = occurrence_key(scheduled, self.tz)
                values = dict(series=name, occurrence_key=key, scheduled_at=scheduled, tries=0, created_at=now,
                              updated_at=now)
                if reason is None:
                    values.update(status="waiting", next_try_at=now,
                                  deadline_at=deadline_for(series, scheduled, now))
                else:
                    values.update(status="skipped", last_error=reason)
                if _insert_occurrence(conn, values) is None:
                    continue  # another runner created it first: the constraint keeps it to one
                if reason is None:
                    stats.outcomes["created"] += 1
                    if scheduled < now - self.grace:
                        log.info("series %s: %s was missed; publishing it late", name, key)
                else:
                    stats.outcomes["skipped"] += 1
                    log.warning("series %s: %s skipped: %s", name, key, reason)
                    self.app.store.event(conn, "series_skipped", actor=actor, series=name, occurrence=key,
                                         reason=reason)
            conn.execute(update(series_state).where(and_(series_state.c.series == name, series_state.c.since < now))
                         .values(since=now))

    def _advance(self, name: str, now: datetime) -> None:
        with self.app.store.transaction() as conn:
            conn.execute(update(series_state).where(and_(series_state.c.series == name, series_state.c.since < now))
                         .values(since=now))

    # -- working waiting occurrences ----------------------------------------------------------------
    def _work(self, now: datetime, stats: TickStats) -> None:
        enabled = {n: s for n, s in self._all_series().items() if s.enabled}
        if not enabled:
            return
        with reading(self.app.store.engine) as conn:
            due = conn.execute(select(occ.c.id, occ.c.series, occ.c.occurrence_key, occ.c.scheduled_at, occ.c.tries,
                                      occ.c.deadline_at)
                               .where(and_(occ.c.status == "waiting", occ.c.next_try_at <= now,
                                           occ.c.series.in_(list(enabled))))
                               .order_by(occ.c.scheduled_at, occ.c.id).limit(BATCH)).all()
        for row in due:
            series = enabled[row.series]
            try:
                self._work_one(row, series, now, stats)
            except Exception:
                log.exception("series %s: occurrence %s failed unexpectedly", row.series, row.occurrence_key)

    def _work_one(self, row: Any, series: SeriesConfig, now: datetime, stats: TickStats) -> None:
        tries = row.tries + 1
        with self.app.store.transaction() as conn:  # claim: whoever moves `tries` on owns this try
            claimed = conn.execute(update(occ).where(and_(
                occ.c.id == row.id, occ.c.status == "waiting", occ.c.tries == row.tries, occ.c.next_try_at <= now))
                .values(tries=tries, next_try_at=now + self._lease(series), updated_at=now)).rowcount
        if claimed != 1:
            return
        scheduled = _aware(row.scheduled_at)
        deadline = _aware(row.deadline_at) if row.deadline_at else deadline_for(series, scheduled, now)
        attempt = self._attempt(series, scheduled, now, deadline)
        mine = and_(occ.c.id == row.id, occ.c.status == "waiting", occ.c.tries == tries)
        key, name = row.occurrence_key, row.series

        if attempt.status == "ready":
            try:
                prepared = self._prepare(series, attempt)
            except SeriesError as exc:
                attempt = Attempt("failed", error=str(exc), kind="template_error")
            else:
                with self.app.store.transaction() as conn:
                    if not conn.execute(update(occ).where(mine).values(
                            status="queued", last_error=None, next_try_at=None, updated_at=now)).rowcount:
                        return  # our claim ran out and another runner took it over
                    item_id = self._insert_item(conn, name, key, prepared)
                    conn.execute(update(occ).where(occ.c.id == row.id).values(item_id=item_id))
                stats.outcomes["queued"] += 1
                log.debug("series %s: %s queued as item %s", name, key, item_id)
                return

        if attempt.status == "waiting":
            with self.app.store.transaction() as conn:
                conn.execute(update(occ).where(mine).values(
                    last_error=attempt.error, next_try_at=attempt.next_try_at, updated_at=now))
            stats.outcomes["waiting"] += 1
            next_try = local_time(attempt.next_try_at, self.tz) if attempt.next_try_at else "-"
            level = logging.DEBUG
            if tries == 1:  # say it once; a broken source needs an operator, late data usually does not
                level = logging.WARNING if attempt.kind == "source_error" else logging.INFO
            log.log(level, "series %s: %s waits (%s); next try %s", name, key, attempt.error, next_try)
            return

        with self.app.store.transaction() as conn:  # missing_data | failed: final, and visible
            if not conn.execute(update(occ).where(mine).values(
                    status=attempt.status, last_error=attempt.error, next_try_at=None, updated_at=now)).rowcount:
                return
            self.app.store.event(conn, f"series_{attempt.status}", actor=self._actor(), series=name,
                                 occurrence=key, error=attempt.error, tries=tries)
        stats.outcomes[attempt.status] += 1
        log.warning("series %s: %s %s: %s", name, key, attempt.status.replace("_", " "),
                    error_detail(attempt.status, attempt.error))

    # -- helpers ------------------------------------------------------------------------------------
    def _attempt(self, series: SeriesConfig, scheduled: datetime, now: datetime, deadline: datetime) -> Attempt:
        session = self._sessions.get() if isinstance(series.source, HttpSource) else None
        return attempt_occurrence(series, scheduled, self.tz, now=now, deadline_at=deadline,
                                  extra={"office": self.app.config.office.name}, session=session)

    def _prepare(self, series: SeriesConfig, attempt: Attempt):
        """Validate the rendered item like ``queue add`` does (sanitised body, limits, channel checks)."""
        from ..queue import ItemRequest, prepare

        try:
            return prepare(self.app, ItemRequest(
                title=attempt.title, category=series.category, body=sanitize_html(attempt.body_html),
                channels=list(series.channels or []), department=series.department or ""))
        except InputError as exc:
            raise SeriesError(f"the rendered item was refused: {exc}") from None

    def _insert_item(self, conn: Connection, name: str, key: str, prepared: Any, *, manual: bool = False) -> int:
        """Insert the occurrence's item; when (series, key) already has one, link to it instead."""
        office = self.app.config.office.code
        state, step, granted_by = state_for_occurrence(self.app, conn, name, office)
        try:
            with conn.begin_nested():
                item_id = self.app.store.insert_item(
                    conn, title=prepared.title, category=prepared.category, body_html=prepared.body_html,
                    publish_at=prepared.publish_at, channels=prepared.channels,
                    actor=self._actor("series run" if manual else "series"), department=prepared.department,
                    series=name, occurrence_key=key, office=office, review_state=state,
                    standing_approval=granted_by)
                if step is not None:
                    conn.execute(update(items).where(items.c.id == item_id).values(review_step=step))
                return item_id
        except IntegrityError:
            existing = conn.execute(select(items.c.id).where(and_(
                items.c.series == name, items.c.occurrence_key == key))).scalar()
            if existing is None:
                raise
            log.info("series %s: %s already has item %s; linking it", name, key, existing)
            return existing

    def _allocate(self, conn: Connection, name: str, base: str, scheduled: datetime, now: datetime) -> tuple[int, str]:
        """The occurrence row a manual run fills: a new one under ``base`` or ``base#n``, or ``base``'s row
        when that has no item yet. Returns (row id, key)."""
        values = dict(series=name, scheduled_at=scheduled, status="queued", tries=1, created_at=now, updated_at=now)
        for n in range(1, 1000):
            key = base if n == 1 else f"{base}#{n}"
            new_id = _insert_occurrence(conn, dict(values, occurrence_key=key))
            if new_id is not None:
                return new_id, key
            if n == 1:
                row = conn.execute(select(occ).where(and_(occ.c.series == name, occ.c.occurrence_key == key))).first()
                if row is not None and row.item_id is None and row.status != "queued":
                    taken = conn.execute(update(occ).where(and_(
                        occ.c.id == row.id, occ.c.status == row.status, occ.c.tries == row.tries)).values(
                        status="queued", tries=row.tries + 1, last_error=None, next_try_at=None,
                        updated_at=now)).rowcount
                    if not taken:
                        raise SeriesError(f"series {name}: {key} is being worked on right now; try again")
                    return row.id, key
        raise SeriesError(f"series {name}: too many re-issues of {base}")

    def _describe(self, conn: Connection, row: Any) -> dict:
        states = []
        if row.item_id is not None:
            states = [{"channel": c, "status": s} for c, s in conn.execute(
                select(deliveries.c.channel, deliveries.c.status).where(deliveries.c.item_id == row.item_id)
                .order_by(deliveries.c.id)).all()]
        return {
            "occurrence_key": row.occurrence_key,
            "scheduled_at": _aware(row.scheduled_at).astimezone(self.tz),
            "status": row.status,
            "tries": row.tries,
            "last_error": error_detail(row.status, row.last_error),
            "next_try_at": _aware(row.next_try_at).astimezone(self.tz) if row.next_try_at else None,
            "item_id": row.item_id,
            "deliveries": states,
        }

    def _lease(self, series: SeriesConfig) -> timedelta:
        timeout = getattr(series.source, "timeout", 0) or 0
        return max(MIN_LEASE, timedelta(seconds=2 * timeout))

    def _actor(self, what: str = "series") -> str:
        return f"{self.app.actor} ({what})"


def error_detail(status: str, error: str | None) -> str | None:
    """An occurrence's error without the words its status already says (``missing data: ...`` when the
    status is ``missing_data``), so listings do not read "missing data (missing data: ...)"."""
    prefix = status.replace("_", " ") + ": "
    if error and error.startswith(prefix):
        return error[len(prefix):]
    return error


def find_series(config: Any, name: str) -> SeriesConfig:
    """The configured series ``name``; InputError naming it (and the configured ones) when unknown."""
    configured = dict(config.series or {})
    if name not in configured:
        known = ", ".join(configured) or "none configured"
        raise InputError(f"unknown series {name!r} (configured: {known})", field="series")
    return configured[name]


def render_manual(config: Any, name: str, on: date, now: datetime) -> Rendered:
    """Render the occurrence of ``on`` (its first scheduled time that day) from the source now; no database.

    Raises InputError for an unknown series, :class:`SeriesError` for missing data or a broken source/template.
    """
    series = find_series(config, name)
    scheduled = manual_occurrence(series.schedule, config.tz, on)
    attempt = _attempt_now(config, series, scheduled, now)
    return Rendered(name, occurrence_key(scheduled, config.tz), scheduled.astimezone(config.tz), attempt.title,
                    sanitize_html(attempt.body_html))


def _attempt_now(config: Any, series: SeriesConfig, scheduled: datetime, now: datetime) -> Attempt:
    """One try for a manual run: ready, or SeriesError with the reason (no waiting for data)."""
    attempt = attempt_occurrence(series, scheduled, config.tz, now=now, deadline_at=now + timedelta(seconds=1),
                                 extra={"office": config.office.name})
    if attempt.status != "ready":
        day = scheduled.astimezone(config.tz).date().isoformat()
        raise SeriesError(f"series {series.name}, {day}: {attempt.error}")
    return attempt


def _insert_occurrence(conn: Connection, values: dict) -> int | None:
    """INSERT ... ON CONFLICT (series, occurrence_key) DO NOTHING: the new row's id, or None if it existed."""
    stmt = _insert(conn, occ).values(**values).on_conflict_do_nothing(index_elements=["series", "occurrence_key"])
    return conn.execute(stmt.returning(occ.c.id)).scalar()


def _insert(conn: Connection, table):
    """An INSERT that supports ``on_conflict_do_nothing`` on this connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _aware(value: datetime) -> datetime:
    from datetime import timezone

    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
