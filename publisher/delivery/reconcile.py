"""Compare the ledger with what every channel holds, read back from the channel itself; fix what is safe.

For each channel: published deliveries are read back by id (the adapter's ``removed``), ``in_doubt`` ones are
looked up (``lookup``), and what the channel lists (``inventory``) is matched against the ledger by id and key.
Findings are one of :class:`FindingKind`. A removal is first an observation (an audit event with what was asked
and answered); :func:`apply` records removals a person agreed to (the delivery becomes ``retracted`` with
``removed_at``) and settles ``in_doubt`` deliveries found present; everything else needs a person. The guard
(:mod:`publisher.delivery.reconcile_guard`) refuses a run that finds too many removals at once and never lets a
frozen year change.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from publisher.adapter import Channel, DeliveryContext, Receipt
from publisher.runtime.app import App
from publisher.db.engine import reading
from publisher.ledger.lifecycle import DeliveryStatus as S, event, move
from publisher.errors import ChannelError, LookupUnsupported
from publisher.foundation.i18n import N_
from publisher.db.schema import deliveries
from publisher.delivery.reconcile_guard import frozen_year, guard, observe

log = logging.getLogger("publisher.reconcile")


class FindingKind(str, enum.Enum):
    """What a read-back found, and whether ``--fix`` may act on it."""

    REMOVED = "removed"  # the ledger says published; the platform deleted, trashed or banned it
    MISSING = "missing"  # the ledger says published; the channel has no such record
    UNKNOWN = "unknown"  # the channel holds a record publisher made that the ledger does not know (a duplicate?)
    SETTLED = "in_doubt_present"  # an in_doubt delivery is on the channel
    IN_DOUBT = "in_doubt_absent"  # an in_doubt delivery the channel does not show (yet), or cannot tell
    UNREADABLE = "unreadable"  # the channel could not be read back

    @property
    def fixable(self) -> bool:
        """True when ``--fix`` may settle it without a person."""
        return self in (FindingKind.REMOVED, FindingKind.SETTLED)


FINDING_NAMES = (N_("removed"), N_("missing"), N_("unknown"), N_("in_doubt_present"), N_("in_doubt_absent"),
                 N_("unreadable"))  # the kinds' values, for the catalogue; shown with _()


@dataclass
class Finding:
    """One difference between the ledger and a channel; ``evidence``: what was asked and what was answered."""

    kind: FindingKind
    channel: str
    reason: str
    item_id: int | None = None
    delivery_id: int | None = None
    external_id: str | None = None
    url: str | None = None
    fixed: bool = False
    evidence: dict[str, Any] | None = None
    held: str | None = None  # why a fixable finding was not applied (a refused run, a frozen year)
    receipt: Receipt | None = field(default=None, repr=False)  # what the channel showed of an in-doubt delivery

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, the kind as its value."""
        return {**{k: v for k, v in asdict(self).items() if k != "receipt"}, "kind": self.kind.value}


@dataclass
class ReconcileReport:
    """Every finding, how many deliveries each channel had read back, the channels not read back and why, and
    the channels whose removals were refused as a likely outage or misconfiguration."""

    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    refused: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def needs_person(self) -> list[Finding]:
        """Findings left unfixed: someone has to look (or run with --fix)."""
        return [f for f in self.findings if not f.fixed]

    @property
    def fixable(self) -> list[Finding]:
        """Findings ``--fix`` would apply: not fixed yet and not held back."""
        return [f for f in self.findings if f.kind.fixable and not f.fixed and not f.held]

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` shape."""
        return {"checked": self.checked, "findings": [f.as_dict() for f in self.findings],
                "fixed": sum(f.fixed for f in self.findings), "needs_person": len(self.needs_person),
                "skipped": self.skipped, "refused": self.refused}


def reconcile(app: App, channel: str | None = None, *, year: int | None = None, fix: bool = False) -> ReconcileReport:
    """Read back every enabled channel (or one) and compare with the ledger; removals are recorded as
    observations. ``fix`` then applies the safe fixes (see :func:`apply`)."""
    bounds = _year_bounds(app, year)
    report = ReconcileReport()
    for name in [channel] if channel else app.config.enabled_channels():
        _reconcile_channel(app, name, app.channel(name), bounds, report)
        guard(app, name, report)
    if fix:
        apply(app, report)
    return report


def apply(app: App, report: ReconcileReport) -> int:
    """Apply the fixable findings of ``report`` a person agreed to; returns how many were applied.

    Removals of a refused channel and removals of publications in a frozen year are held, never applied.
    """
    applied = 0
    for finding in report.fixable:
        row = _delivery(app, finding.delivery_id)
        if row is None:
            continue
        if finding.kind is FindingKind.REMOVED:
            year = frozen_year(app, row)
            if year is not None:
                finding.held = N_("the {year} report is frozen: reconciliation never changes it").format(year=year)
                continue
            finding.fixed = _record_removed(app, row, finding)
        else:
            finding.fixed = _record_published(app, row, finding.receipt)
        applied += finding.fixed
    return applied


def _reconcile_channel(app: App, name: str, adapter: Channel, bounds, report: ReconcileReport) -> None:
    rows = _deliveries(app, name, bounds)
    report.checked[name] = sum(row.status != S.IN_DOUBT for row in rows)
    settings = app.config.channels[name]
    reads_back = type(adapter).removed is not Channel.removed and settings.read_back
    if not settings.read_back:
        report.skipped[name] = N_("read-back is switched off (read_back: false): removals are not checked")
    elif not reads_back:
        report.skipped[name] = N_("the channel cannot be read back: removals are not checked")
    for row in rows:
        item, ctx = _view(app, row)
        try:
            if row.status == S.IN_DOUBT:
                _settle(app, row, adapter, item, ctx, report)
            elif reads_back:
                _read_back(app, name, row, adapter, item, ctx, report)
        except ChannelError as exc:
            report.findings.append(Finding(FindingKind.UNREADABLE, name, N_("read-back failed: {exc}").format(exc=exc),
                                           row.item_id, row.id, row.external_id, row.external_url,
                                           evidence=_evidence(row, str(exc))))
    if settings.read_back:
        _unknown_records(app, name, adapter, bounds, report)


def _read_back(app: App, name: str, row, adapter: Channel, item, ctx: DeliveryContext,
               report: ReconcileReport) -> None:
    """Ask the channel for one published delivery; a removal is recorded as an observation, nothing more."""
    reason = adapter.removed(item, ctx)
    if not reason:
        return
    finding = Finding(FindingKind.REMOVED, name, reason, row.item_id, row.id, row.external_id, row.external_url,
                      evidence=_evidence(row, reason))
    observe(app, row, finding)
    report.findings.append(finding)


def _evidence(row, answered: str) -> dict[str, Any]:
    """What reconciliation asked the channel and what it understood of the answer."""
    return {"asked": f"read back {row.channel} record {row.external_id or '-'} ({row.external_url or '-'})",
            "answered": answered}


def _settle(app: App, row, adapter: Channel, item, ctx: DeliveryContext, report: ReconcileReport) -> None:
    try:
        receipt = adapter.lookup(item, ctx)
    except LookupUnsupported as exc:
        report.findings.append(Finding(FindingKind.IN_DOUBT, row.channel, str(exc), row.item_id, row.id))
        return
    if receipt is None:
        report.findings.append(Finding(FindingKind.IN_DOUBT, row.channel, N_("the channel does not show it (yet)"),
                                       row.item_id, row.id))
        return
    finding = Finding(FindingKind.SETTLED, row.channel, N_("found on the channel"), row.item_id, row.id,
                      receipt.external_id, receipt.external_url, receipt=receipt)
    report.findings.append(finding)


def _unknown_records(app: App, name: str, adapter: Channel, bounds, report: ReconcileReport) -> None:
    """Records the channel lists that no delivery of the ledger accounts for (by id or by key)."""
    try:
        records = adapter.inventory(bounds[0] if bounds else None)
        if records is None:
            return
        records = list(records)
    except ChannelError as exc:
        report.findings.append(Finding(FindingKind.UNREADABLE, name,
                                       N_("cannot list the channel: {exc}").format(exc=exc)))
        return
    with reading(app.store.engine) as conn:
        known = conn.execute(select(deliveries).where(deliveries.c.channel == name)).all()
    ids = {str(r.external_id) for r in known if r.external_id}
    keys = set()
    for row in known:
        item, ctx = _view(app, row)
        key = adapter.remote_key(item, ctx)
        if key:
            keys.add(key)
    for record in records:
        if record.external_id in ids or (record.key and record.key in keys):
            continue
        report.findings.append(Finding(FindingKind.UNKNOWN, name,
                                       N_("not in the ledger: {title}").format(title=record.title or record.key),
                                       external_id=record.external_id, url=record.url))


def _deliveries(app: App, name: str, bounds) -> list:
    d = deliveries
    query = select(d).where(and_(d.c.channel == name, d.c.lease_owner.is_(None),
                                 or_(d.c.status == S.PUBLISHED.value, d.c.status == S.IN_DOUBT.value)))
    if bounds:
        start, end = bounds
        query = query.where(or_(and_(d.c.status == S.PUBLISHED.value, d.c.published_at >= start,
                                     d.c.published_at < end),
                                and_(d.c.status == S.IN_DOUBT.value, d.c.first_attempt_at >= start,
                                     d.c.first_attempt_at < end)))
    with reading(app.store.engine) as conn:
        return conn.execute(query.order_by(d.c.id)).all()


def _delivery(app: App, delivery_id: int | None):
    with reading(app.store.engine) as conn:
        return conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()


def _view(app: App, row):
    with reading(app.store.engine) as conn:
        item = app.store.item_view(conn, row.item_id, row.channel)
    ctx = DeliveryContext(delivery_id=row.id, channel=row.channel, idempotency_key=row.idempotency_key,
                          attempt=row.attempts, checkpoint=row.checkpoint, external_id=row.external_id,
                          external_url=row.external_url)
    return item, ctx


def _year_bounds(app: App, year: int | None) -> tuple[datetime, datetime] | None:
    if year is None:
        return None
    from publisher.ledger.years import year_bounds

    return year_bounds(year, app.config)


# The two safe fixes. Both are compare-and-set on the row's version, so a worker that moved the
# delivery meanwhile wins and the fix is simply not applied.

def _record_removed(app: App, row, finding: Finding) -> bool:
    now = app.clock.now()
    with app.store.transaction() as conn:
        done = move(conn, row.id, current=row.status, to=S.RETRACTED, version=row.version, last_error=finding.reason,
                    updated_at=now, removed_at=now,
                    event=event("removed_on_platform", actor=app.actor, at=now, item_id=row.item_id,
                                channel=row.channel, reason=finding.reason, evidence=finding.evidence))
    if done:
        log.warning("item %s was removed from %s: %s", row.item_id, row.channel, finding.reason)
    return done


def _record_published(app: App, row, receipt: Receipt) -> bool:
    now = app.clock.now()
    first = row.first_attempt_at or now
    remote = receipt.published_at
    when = remote if remote is not None and remote.tzinfo is not None and first <= remote <= now else now
    with app.store.transaction() as conn:
        return move(conn, row.id, current=S.IN_DOUBT, to=S.PUBLISHED, version=row.version,
                    external_id=str(receipt.external_id), external_url=receipt.external_url, published_at=when,
                    last_error=None, next_attempt_at=now, updated_at=now, waiting_for=None,
                    event=event("published", actor=app.actor, at=now, item_id=row.item_id, channel=row.channel,
                                external_id=str(receipt.external_id), external_url=receipt.external_url,
                                via="reconcile"))
