"""Turn configured series into items: create due occurrences, retry late data, queue each one exactly once.

Every occurrence is a row of ``series_occurrences`` keyed by (series, local time); rows are created with
INSERT ... ON CONFLICT DO NOTHING and claimed with a compare-and-set UPDATE, so any number of runners
(threads, daemons) can share one database without creating an occurrence twice. ``series_state`` holds
each series' watermark: the time up to which its schedule has been turned into rows. A claim lasts
``retry.lease`` and is renewed while its runner beats (:mod:`.claims`); a stopped runner's claims are
taken over once its heartbeat is stale. Each series' sources are read in a thread of its own, so one
slow source delays only its own series.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable

from sqlalchemy import Connection, and_, func, select, update
from sqlalchemy.exc import IntegrityError

from publisher.foundation.content import sanitize_html
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.item_status import ItemStatus
from publisher.review.standing import state_for_occurrence
from publisher.review.workflow import start_review
from publisher.errors import InputError
from publisher.db.engine import reading
from publisher.foundation.durations import parse_duration
from publisher.http import new_session
from publisher.db.schema import deliveries, items, series_occurrences as occ, series_state
from publisher.series.attempt import Attempt, Outcome, Problem, attempt_occurrence, deadline_for, local_time
from publisher.series.claims import Claims
from publisher.series.errors import SeriesError
from publisher.series.models import HttpSource, SeriesConfig
from publisher.series.occurrence_status import NEW, PROBLEMS, OccurrenceStatus, can_move
from publisher.series.schedule import (
    manual_occurrence, next_occurrence, occurrence_key, occurrences_between, plan_catch_up,
)
from publisher.series.sources import describe_source
from publisher.foundation.i18n import N_, _

log = logging.getLogger("publisher.series")

WAITING, QUEUED = OccurrenceStatus.WAITING, OccurrenceStatus.QUEUED
#: the event that makes an occurrence's final problem visible
PROBLEM_EVENTS = {OccurrenceStatus.MISSING_DATA: EventKind.SERIES_MISSING_DATA,
                  OccurrenceStatus.FAILED: EventKind.SERIES_FAILED}
BATCH = 200  # waiting occurrences worked per tick at most
FILE_STALL = timedelta(seconds=30)  # a file source still being read after this is reported (HTTP: its timeout)


@dataclass
class TickStats:
    """What one :meth:`SeriesRunner.tick` did: counts by outcome (created, skipped, queued, waiting, ...)."""

    outcomes: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, outcome: str) -> None:
        """Count one outcome (thread-safe: each series is worked in a thread of its own)."""
        with self._lock:
            self.outcomes[str(outcome)] += 1


@dataclass
class _Busy:
    """A series whose sources are being read right now, in ``thread`` (at most one per series)."""

    thread: threading.Thread | None
    since: datetime  # when the current read began
    source: str
    stall_after: timedelta
    stalled: bool = False


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
    replaced: tuple[int, ...] = ()  # earlier items of the day retracted by ``--replace``


def _report_missed(name: str, late: list[str], skipped: list[str], rows) -> None:
    """One line per kind for the days a stopped daemon missed, with their count and range (never one per day)."""
    if late:
        log.info("series %s: %d missed occurrences (%s … %s) will be published late", name, len(late), late[0],
                 late[-1])
    if skipped:
        reasons = sorted({reason for _t, reason in rows if reason})
        log.warning("series %s: %d missed occurrences (%s … %s) skipped: %s", name, len(skipped), skipped[0],
                    skipped[-1], "; ".join(reasons))


class SeriesRunner:
    """Creates due occurrences of the configured series and queues their items (one App, one clock).

    ``after_issue`` is a test seam: called by :meth:`issue` between issuing (with what it replaces marked for
    retraction, in one transaction) and taking the replaced items down.
    """

    def __init__(self, app: Any, *, after_issue: Callable[[Issued], None] | None = None):
        self.app = app
        self.after_issue = after_issue
        self.claims = Claims(app.store.engine, app.clock, f"{app.actor}/{uuid.uuid4().hex[:8]}",
                             lease=parse_duration(app.config.retry.lease),
                             poll_interval=app.config.daemon.poll_interval)
        self._busy: dict[str, _Busy] = {}
        self._lock = threading.Lock()

    # -- the daemon's job ---------------------------------------------------------------------------
    def tick(self, wait: float | None = None) -> TickStats:
        """Create the occurrences due by now (catching up after downtime), then try every due waiting one.

        Waits for the series' reads at most ``wait`` seconds (None: until they are done); a series whose
        source is still being read from an earlier tick is left to finish, and reported once if it stalls.
        """
        stats = TickStats()
        now = self.app.clock.now()
        self.claims.beat()
        self.claims.take_over()
        for name, series in self._all_series().items():
            try:
                self._plan(name, series, now, stats)
            except Exception:  # one broken series must not stop the others
                log.exception("series %s: creating occurrences failed", name)
        self._watch_stalls(now)
        self._work(now, stats)
        self.wait(wait)
        return stats

    def poll(self) -> None:
        """The daemon's job: :meth:`tick` without waiting for sources (slow ones finish in the background)."""
        self.tick(wait=0)

    def wait(self, timeout: float | None = None, names: list[str] | None = None) -> bool:
        """Wait until the series' reads in flight (of ``names``, default all) are done, beating meanwhile.

        Returns False when some are still running after ``timeout`` seconds.
        """
        end = None if timeout is None else time.monotonic() + timeout
        every = self.app.config.daemon.poll_interval
        last_beat = time.monotonic()
        while True:
            with self._lock:
                threads = [b.thread for n, b in self._busy.items()
                           if (names is None or n in names) and b.thread.is_alive()]
            if not threads:
                return True
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                return False
            threads[0].join(every if left is None else min(left, every))
            if time.monotonic() - last_beat >= every:  # a long wait must not look like a stopped runner
                self.claims.beat()
                last_beat = time.monotonic()

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
                occ.c.status == WAITING, occ.c.series.in_(list(enabled))))).scalar()
        times = [_aware(retry)] if retry is not None else []
        for name, series in enabled.items():
            since = _aware(marks[name]) if name in marks else now
            times.append(next_occurrence(series.schedule, self.tz, since))
        return min(times)

    # -- editors' commands --------------------------------------------------------------------------
    def render(self, name: str, on: date) -> Rendered:
        """Render the occurrence ``series run NAME --date ON`` stands for, writing nothing (see :func:`render_manual`)."""
        return render_manual(self.app.config, name, on, self.app.clock.now())

    def issue(self, name: str, on: date, *, replace: bool = False) -> Issued:
        """Create the occurrence of ``on`` by hand and queue its item now (``series run``).

        The day's key is used when it is free, or when its occurrence has no item yet (waiting, skipped,
        missing data: this fulfils it); otherwise the item is a re-issue under ``KEY#2``, ``KEY#3``...
        Nothing is written unless the data is there and renders. With ``replace`` the day's earlier issues
        are retracted (see :meth:`earlier_items`). Raises :class:`SeriesError`.
        """
        series = find_series(self.app.config, name)
        scheduled = manual_occurrence(series.schedule, self.tz, on)
        now = self.app.clock.now()
        attempt = _attempt_now(self.app.config, series, scheduled, now)
        prepared = self._prepare(series, attempt)
        base = occurrence_key(scheduled, self.tz)
        store = self.app.store
        earlier: list[int] = []
        with store.transaction() as conn:
            occ_id, key = self._allocate(conn, name, base, scheduled, now)
            item_id = self._insert_item(conn, name, key, prepared, manual=True)
            conn.execute(update(occ).where(occ.c.id == occ_id).values(item_id=item_id))
            issued = Issued(name, key, scheduled.astimezone(self.tz), item_id)
            if replace:  # in the same transaction: a crash never leaves the new issue and the old both live
                from publisher.delivery.actions import request_retraction

                earlier = self._earlier_items(conn, issued)
                for old_id in earlier:
                    request_retraction(self.app, conn, old_id, f"replaced by item {item_id} ({key})",
                                       actor=self.app.current_actor())
        log.info("series %s: %s queued by hand as item %s", name, key, item_id)
        if self.after_issue is not None:
            self.after_issue(issued)
        if not replace:
            return issued
        from publisher.delivery.actions import take_down

        for old_id in earlier:
            take_down(self.app, old_id)
        return dataclasses.replace(issued, replaced=tuple(earlier))

    def earlier_items(self, issued: Issued) -> list[int]:
        """Items issued before ``issued`` for the same day, not retracted: its key's and lower ``#n``s'.

        "Before" is the re-issue number, which the (series, key) constraint hands out in order, so of two
        overlapping ``--replace`` runs the later one retracts the earlier and never the other way round.
        """
        with reading(self.app.store.engine) as conn:
            return self._earlier_items(conn, issued)

    @staticmethod
    def _earlier_items(conn, issued: Issued) -> list[int]:
        base, mine = split_reissue(issued.occurrence_key)
        rows = conn.execute(select(items.c.id, items.c.occurrence_key).where(and_(
            items.c.series == issued.series, items.c.status != ItemStatus.RETRACTED, items.c.id != issued.item_id,
            items.c.occurrence_key.like(f"{base}%")))).all()
        return [r.id for r in rows if split_reissue(r.occurrence_key)[0] == base
                and split_reissue(r.occurrence_key)[1] < mine]

    def overview(self) -> list[dict]:
        """Each configured series with its next occurrence, last occurrence (and its deliveries) and counts."""
        now = self.app.clock.now()
        out = []
        with reading(self.app.store.engine) as conn:
            for name, series in self._all_series().items():
                last = conn.execute(select(occ).where(occ.c.series == name)
                                    .order_by(occ.c.scheduled_at.desc(), occ.c.id.desc()).limit(1)).first()
                problem = conn.execute(select(occ).where(and_(
                    occ.c.series == name, occ.c.status.in_(PROBLEMS)))
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
                             catch_up_limit=series.catch_up_limit, grace=series.on_time)
        if not plan.create and not plan.skip:
            return
        rows = [(t, None) for t in plan.create] + list(plan.skip)
        actor = self._actor()
        late, skipped = [], []
        with self.app.store.transaction() as conn:
            for scheduled, reason in sorted(rows, key=lambda r: r[0]):
                key = occurrence_key(scheduled, self.tz)
                values = dict(series=name, occurrence_key=key, scheduled_at=scheduled, tries=0, created_at=now,
                              updated_at=now)
                if reason is None:
                    values.update(status=WAITING.value, next_try_at=now,
                                  deadline_at=deadline_for(series, scheduled, now))
                else:
                    values.update(status=OccurrenceStatus.SKIPPED.value, last_error=reason)
                if _insert_occurrence(conn, values) is None:
                    continue  # another runner created it first: the constraint keeps it to one
                if reason is None:
                    stats.add("created")
                    if scheduled < now - series.on_time:
                        late.append(key)
                else:
                    stats.add(OccurrenceStatus.SKIPPED)
                    skipped.append(key)
                    self.app.store.event(conn, EventKind.SERIES_SKIPPED, actor=actor, series=name, occurrence=key,
                                         reason=reason)
            conn.execute(update(series_state).where(and_(series_state.c.series == name, series_state.c.since < now))
                         .values(since=now))
        _report_missed(name, late, skipped, rows)

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
                               .where(and_(occ.c.status == WAITING, occ.c.next_try_at <= now,
                                           occ.c.series.in_(list(enabled))))
                               .order_by(occ.c.scheduled_at, occ.c.id).limit(BATCH)).all()
        batches: dict[str, list[Any]] = {}
        for row in due:
            batches.setdefault(row.series, []).append(row)
        for name, rows in batches.items():
            series = enabled[name]
            with self._lock:
                if name in self._busy and self._busy[name].thread.is_alive():
                    continue  # its source is still being read; that read reports a stall once
                busy = _Busy(None, now, describe_source(series.source), _stall_after(series))
                busy.thread = threading.Thread(target=self._work_series, args=(series, rows, stats, busy),
                                               name=f"series-{name}", daemon=True)
                self._busy[name] = busy
                busy.thread.start()

    def _watch_stalls(self, now: datetime) -> None:
        """Say once that a series' source has not answered within its timeout, and once that it has."""
        with self._lock:
            busy = list(self._busy.items())
        for name, b in busy:
            if not b.thread.is_alive():
                with self._lock:
                    if self._busy.get(name) is b:
                        del self._busy[name]
                if b.stalled:
                    log.info("series %s: %s answered after %ss", name, b.source, int((now - b.since).total_seconds()))
            elif not b.stalled and now - b.since >= b.stall_after:
                b.stalled = True
                log.warning("series %s: %s has not answered for %ss; this series waits, the others go on",
                            name, b.source, int((now - b.since).total_seconds()))

    def _work_series(self, series: SeriesConfig, rows: list[Any], stats: TickStats, busy: _Busy) -> None:
        """Try one series' due occurrences in order (the thread of that series)."""
        session = new_session() if isinstance(series.source, HttpSource) else None
        try:
            for row in rows:
                busy.since = self.app.clock.now()
                try:
                    self._work_one(row, series, stats, session)
                except Exception:
                    log.exception("series %s: occurrence %s failed unexpectedly", row.series, row.occurrence_key)
        finally:
            if session is not None:
                session.close()

    def _work_one(self, row: Any, series: SeriesConfig, stats: TickStats, session: Any) -> None:
        now = self.app.clock.now()
        tries = row.tries + 1
        with self.app.store.transaction() as conn:  # claim: whoever moves `tries` on owns this try
            claimed = conn.execute(update(occ).where(and_(
                occ.c.id == row.id, occ.c.status == WAITING, occ.c.tries == row.tries, occ.c.next_try_at <= now))
                .values(tries=tries, next_try_at=now + self.claims.lease, updated_at=now)).rowcount
            if claimed == 1:
                self.claims.claim(conn, row.id, tries)
        if claimed != 1:
            return
        try:
            self._try_claimed(row, series, tries, now, stats, session)
        except BaseException:
            # stop renewing the claim, so its lease runs out and the occurrence is tried again
            with contextlib.suppress(Exception), self.app.store.transaction() as conn:
                self.claims.release(conn, row.id)
            raise

    def _try_claimed(self, row: Any, series: SeriesConfig, tries: int, now: datetime, stats: TickStats,
                     session: Any) -> None:
        scheduled = _aware(row.scheduled_at)
        deadline = _aware(row.deadline_at) if row.deadline_at else deadline_for(series, scheduled, now)
        attempt = self._attempt(series, scheduled, now, deadline, session)
        mine = and_(occ.c.id == row.id, occ.c.status == WAITING, occ.c.tries == tries)
        key, name = row.occurrence_key, row.series

        if attempt.status == Outcome.READY:
            try:
                prepared = self._prepare(series, attempt)
            except SeriesError as exc:
                attempt = Attempt(Outcome.FAILED, error=str(exc), kind=Problem.TEMPLATE_ERROR)
            else:
                with self.app.store.transaction() as conn:
                    self.claims.release(conn, row.id)
                    if not conn.execute(update(occ).where(mine).values(
                            status=QUEUED.value, last_error=None, next_try_at=None, updated_at=now)).rowcount:
                        return  # our claim ran out and another runner took it over
                    item_id = self._insert_item(conn, name, key, prepared)
                    conn.execute(update(occ).where(occ.c.id == row.id).values(item_id=item_id))
                stats.add(QUEUED)
                log.debug("series %s: %s queued as item %s", name, key, item_id)
                return

        if attempt.status == Outcome.WAITING:
            with self.app.store.transaction() as conn:
                self.claims.release(conn, row.id)
                conn.execute(update(occ).where(mine).values(
                    last_error=attempt.error, next_try_at=attempt.next_try_at, updated_at=now))
            stats.add(WAITING)
            next_try = local_time(attempt.next_try_at, self.tz) if attempt.next_try_at else "-"
            level = logging.DEBUG
            if tries == 1:  # say it once; a broken source needs an operator, late data usually does not
                level = logging.WARNING if attempt.kind == Problem.SOURCE_ERROR else logging.INFO
            log.log(level, "series %s: %s waits (%s); next try %s", name, key, attempt.error, next_try)
            return

        final = OccurrenceStatus(attempt.status)  # missing_data | failed: final, and visible
        with self.app.store.transaction() as conn:
            self.claims.release(conn, row.id)
            if not conn.execute(update(occ).where(mine).values(
                    status=final.value, last_error=attempt.error, next_try_at=None, updated_at=now)).rowcount:
                return
            self.app.store.event(conn, PROBLEM_EVENTS[final], actor=self._actor(), series=name,
                                 occurrence=key, error=attempt.error, tries=tries)
        stats.add(final)
        log.warning("series %s: %s %s: %s", name, key, attempt.status.replace("_", " "),
                    error_detail(attempt.status, attempt.error))

    # -- helpers ------------------------------------------------------------------------------------
    def _attempt(self, series: SeriesConfig, scheduled: datetime, now: datetime, deadline: datetime,
                 session: Any) -> Attempt:
        return attempt_occurrence(series, scheduled, self.tz, now=now, deadline_at=deadline,
                                  extra={"office": self.app.config.office.name}, session=session)

    def _prepare(self, series: SeriesConfig, attempt: Attempt):
        """Validate the rendered item like ``queue add`` does (sanitised body, limits, channel checks)."""
        from publisher.items.intake import ItemRequest, prepare

        try:
            return prepare(self.app, ItemRequest(
                title=attempt.title, category=series.category, body=sanitize_html(attempt.body_html),
                channels=list(series.channels or []), department=series.department or ""))
        except InputError as exc:
            raise SeriesError(N_("the rendered item was refused: {exc}").format(exc=exc)) from None

    def _insert_item(self, conn: Connection, name: str, key: str, prepared: Any, *, manual: bool = False) -> int:
        """Insert the occurrence's item; when (series, key) already has one, link to it instead.

        The one place where an occurrence becomes an item (scheduled and by hand).
        """
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
                if step is not None:  # no standing approval: the occurrence waits at the first step
                    start_review(conn, item_id, step)
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
        values = dict(series=name, scheduled_at=scheduled, status=QUEUED.value, tries=1, created_at=now, updated_at=now)
        for n in range(1, 1000):
            key = base if n == 1 else f"{base}#{n}"
            new_id = _insert_occurrence(conn, dict(values, occurrence_key=key))
            if new_id is not None:
                return new_id, key
            if n == 1:
                row = conn.execute(select(occ).where(and_(occ.c.series == name, occ.c.occurrence_key == key))).first()
                if row is not None and row.item_id is None and can_move(row.status, QUEUED):
                    taken = conn.execute(update(occ).where(and_(
                        occ.c.id == row.id, occ.c.status == row.status, occ.c.tries == row.tries)).values(
                        status=QUEUED.value, tries=row.tries + 1, last_error=None, next_try_at=None,
                        updated_at=now)).rowcount
                    if not taken:
                        raise SeriesError(N_("series {name}: {key} is being worked on right now; try again").format(
                                              name=name, key=key))
                    return row.id, key
        raise SeriesError(N_("series {name}: too many re-issues of {base}").format(name=name, base=base))

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

    def _actor(self, what: str = "series") -> str:
        return f"{self.app.actor} ({what})"


def error_detail(status: str, error: str | None) -> str | None:
    """An occurrence's error without the words its status already says (``missing data: ...`` when the
    status is ``missing_data``), so listings do not read "missing data (missing data: ...)"."""
    prefix = status.replace("_", " ") + ": "
    if error and error.startswith(prefix):
        return error[len(prefix):]
    return error


def split_reissue(key: str) -> tuple[str, int]:
    """``2019-06-02T09:00#3`` -> (``2019-06-02T09:00``, 3); a key without ``#n`` is issue 1."""
    base, _, number = key.partition("#")
    return base, int(number) if number.isdecimal() else 1


def _stall_after(series: SeriesConfig) -> timedelta:
    timeout = getattr(series.source, "timeout", None)
    return timedelta(seconds=timeout) if timeout else FILE_STALL


def find_series(config: Any, name: str) -> SeriesConfig:
    """The configured series ``name``; InputError naming it (and the configured ones) when unknown."""
    configured = dict(config.series or {})
    if name not in configured:
        known = ", ".join(configured) or "none configured"
        raise InputError(_("unknown series {name!r} (configured: {known})").format(
                             name=name, known=known), field="series")
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
    if attempt.status != Outcome.READY:
        day = scheduled.astimezone(config.tz).date().isoformat()
        raise SeriesError(N_("series {name}, {day}: {error}").format(name=series.name, day=day, error=attempt.error))
    return attempt


def _insert_occurrence(conn: Connection, values: dict) -> int | None:
    """INSERT ... ON CONFLICT (series, occurrence_key) DO NOTHING: the new row's id, or None if it existed."""
    if values["status"] not in NEW:  # a bug, not a user's mistake
        raise ValueError(f"a new occurrence cannot start {values['status']}")
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
