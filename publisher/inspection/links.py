"""``publisher links``: every link and image in what publisher published, on every channel, looked at.

For each copy a channel shows (a published delivery: the revision it carries), the ``<a href>`` and ``<img src>`` of
its body are resolved against the copy's own address and probed once per address (:mod:`publisher.inspection.probe`).
Reported: broken ones (4xx/5xx, DNS failure, timeout) and external ones — hosts outside the office's allow-list
(``links.allowed_hosts``) and the channels' own hosts — each with the item and the channel.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup
from sqlalchemy import and_, select

from publisher.db.engine import reading
from publisher.db.schema import deliveries, item_revisions, items
from publisher.foundation.i18n import N_
from publisher.inspection import state
from publisher.inspection.probe import Outcome, probe
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.ledger.years import year_bounds
from publisher.runtime.app import App

WEB = ("http", "https")


@dataclass(frozen=True)
class Link:
    """One link or image of one published copy: the item, the channel, ``link`` or ``image``, the address."""

    item_id: int
    title: str
    channel: str
    kind: str
    url: str


def published_links(app: App, office: str, *, year: int | None = None, channel: str | None = None) -> list[Link]:
    """Every link and image in the copies the office's channels show (published in ``year`` when given)."""
    d = deliveries.c
    q = (select(d.item_id, d.channel, d.external_url, items.c.title, item_revisions.c.body_html)
         .join(items, items.c.id == d.item_id)
         .join(item_revisions, and_(item_revisions.c.item_id == d.item_id,
                                    item_revisions.c.revision == _copy_revision()))
         .where(items.c.office == office, d.status == DeliveryStatus.PUBLISHED.value,
                d.retract_requested.is_(False)))
    if channel is not None:
        q = q.where(d.channel == channel)
    if year is not None:
        start, end = year_bounds(year, app.config)
        q = q.where(d.published_at >= start, d.published_at < end)
    with reading(app.store.engine) as conn:
        rows = conn.execute(q.order_by(d.item_id, d.channel)).all()
    found: list[Link] = []
    for row in rows:
        for kind, target in _targets(row.body_html or ""):
            url = _absolute(target, row.external_url)
            if url is not None:
                found.append(Link(row.item_id, row.title, row.channel, kind, url))
    return found


def _copy_revision():
    """SQL: the revision a copy shows (its own, or the item's when the row predates revisions on copies)."""
    from sqlalchemy import func

    return func.coalesce(deliveries.c.revision, items.c.revision)


def _targets(body: str) -> list[tuple[str, str]]:
    if "<" not in body:
        return []
    soup = BeautifulSoup(body, "html.parser")
    out = [("link", str(a["href"]).strip()) for a in soup.find_all("a", href=True)]
    return out + [("image", str(img["src"]).strip()) for img in soup.find_all("img", src=True)]


def _absolute(target: str, page: str | None) -> str | None:
    """The address a reader's browser opens (relative ones against the copy's page), or None (mailto:, #top …)."""
    if not target or target.startswith("#"):
        return None
    scheme = urlsplit(target).scheme.lower()
    if scheme and scheme not in WEB:
        return None
    if not scheme:
        if not page or urlsplit(page).scheme.lower() not in WEB:
            return None
        target = urljoin(page, target)
    return target.split("#", 1)[0]


def check_links(app: App, office: str, *, actor: str, year: int | None = None, channel: str | None = None) -> dict:
    """Probe every link and image; the report (``links --json``), also kept as the 工作台's summary."""
    settings = app.config.links
    links = published_links(app, office, year=year, channel=channel)
    addresses = sorted({link.url for link in links})[:settings.max_links]
    with ThreadPoolExecutor(max_workers=settings.workers) as pool:
        outcomes = dict(zip(addresses, pool.map(
            lambda url: probe(url, timeout=settings.timeout, allow_private=settings.allow_private), addresses)))
    own = _own_hosts(app)
    report = _report(links, outcomes, own, settings.allowed_hosts, year=year, channel=channel)
    report["checked_at"] = app.clock.now().isoformat()
    with app.store.transaction() as conn:
        if channel is None:
            state.write(conn, office, state.LINKS, _summary(report), app.clock.now())
        app.store.event(conn, EventKind.LINKS_CHECKED, actor=actor, office=office, year=year, channel=channel,
                        checked=report["checked"], broken=len(report["broken"]), external=len(report["external"]))
    return report


def _own_hosts(app: App) -> set[str]:
    """The hosts of the channels' own pages and endpoints: a link there is not external."""
    hosts = set()
    for settings in app.config.channels.values():
        for key in ("base_url", "site_url", "api_base"):
            value = getattr(settings, key, None)
            if isinstance(value, str) and urlsplit(value).hostname:
                hosts.add(urlsplit(value).hostname.lower())
    return hosts


def is_allowed(host: str, own: set[str], allowed: list[str]) -> bool:
    """Whether ``host`` is the office's: a channel's own host, or a host or domain of the allow-list."""
    host = host.lower().rstrip(".")
    if host in own:
        return True
    return any(host == a.lower().strip(".") or host.endswith("." + a.lower().strip(".")) for a in allowed if a)


def _report(links: list[Link], outcomes: dict[str, Outcome], own: set[str], allowed: list[str], *,
            year: int | None, channel: str | None) -> dict:
    broken, external, redirected, skipped = [], [], [], 0
    for link in links:
        outcome = outcomes.get(link.url)
        if outcome is None:
            continue
        entry = {"item_id": link.item_id, "title": link.title, "channel": link.channel, "kind": link.kind,
                 "url": link.url}
        if outcome.state == "broken":
            broken.append({**entry, "problem": outcome.problem, "redirected_to": outcome.redirected_to})
        elif outcome.state == "skipped":
            skipped += 1
        elif outcome.redirected_to:
            redirected.append({**entry, "redirected_to": outcome.redirected_to})
        if not is_allowed(urlsplit(link.url).hostname or "", own, allowed):
            external.append({**entry, "host": urlsplit(link.url).hostname,
                             "problem": N_("outside the allow-list (links.allowed_hosts)")})
    return {"year": year, "channel": channel, "links": len(links), "checked": len(outcomes), "skipped": skipped,
            "broken": broken, "external": external, "redirected": redirected}


def _summary(report: dict) -> dict:
    """What the 工作台 shows of the last run: counts and the first broken and external links."""
    return {"checked_at": report["checked_at"], "year": report["year"], "links": report["links"],
            "checked": report["checked"], "broken_count": len(report["broken"]),
            "external_count": len(report["external"]), "broken": report["broken"][:10],
            "external": report["external"][:10]}


def last_summary(app: App, office: str) -> dict | None:
    """The last whole link check's summary, or None."""
    with reading(app.store.engine) as conn:
        found = state.read(conn, office, state.LINKS)
    return found["value"] if found else None
