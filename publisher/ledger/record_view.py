"""What a channel copy of a government record shows besides its text: the validity notice at the top (「本文件已于
2021年3月1日废止」, with a link to the record that replaced it) and the 相关链接 block at the bottom linking a policy
and its 解读 both ways. Added to the body an adapter sees (:class:`publisher.adapter.ItemView`), never stored."""

from __future__ import annotations

import dataclasses
from html import escape

from sqlalchemy import Connection, and_, select

from publisher.adapter import ItemView
from publisher.db.schema import deliveries, items
from publisher.ledger.item_status import ItemStatus
from publisher.ledger.lifecycle import DeliveryStatus

NOTICE_CLASS = "validity-notice"
LINKS_CLASS = "related-links"


def decorate(conn: Connection, views: dict[tuple[int, str], ItemView], *, look_for_interpretations: set[int]) -> None:
    """Add the notice and the links to ``views`` in place; ``look_for_interpretations`` are the items whose 解读
    are looked for (items published somewhere already: a 解读 never goes out before its policy)."""
    rows = {view.id: view for view in views.values()}
    interpretations = _interpretations_of(conn, look_for_interpretations & set(rows))
    partners = {p for ids in interpretations.values() for p, _title in ids}
    wanted_policy = _interprets(conn, list(rows))
    partners |= set(wanted_policy.values())
    superseding = _superseded_by(conn, [i for i, v in rows.items() if v.catalogue.validity != "有效"])
    partners |= {s for s in superseding.values() if s}
    urls = _urls(conn, partners)
    titles = _titles(conn, partners)
    for key, view in list(views.items()):
        channel = key[1]
        top = _notice(view, superseding.get(view.id), urls, titles, channel)
        links = [("政策解读", titles.get(i, ""), _url_on(urls, i, channel)) for i, _t in interpretations.get(view.id, [])]
        policy = wanted_policy.get(view.id)
        if policy:
            links.append(("原文件", titles.get(policy, ""), _url_on(urls, policy, channel)))
        bottom = _links_block([link for link in links if link[2]])
        if top or bottom:
            views[key] = dataclasses.replace(view, body_html=top + view.body_html + bottom)


def _interpretations_of(conn: Connection, ids: set[int]) -> dict[int, list[tuple[int, str]]]:
    if not ids:
        return {}
    found: dict[int, list[tuple[int, str]]] = {}
    for row in conn.execute(select(items.c.id, items.c.title, items.c.interprets).where(and_(
            items.c.interprets.in_(sorted(ids)), items.c.status == ItemStatus.ACTIVE.value,
            items.c.first_published_at.is_not(None))).order_by(items.c.id)):
        found.setdefault(row.interprets, []).append((row.id, row.title))
    return found


def _interprets(conn: Connection, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return {r.id: r.interprets for r in conn.execute(select(items.c.id, items.c.interprets).where(and_(
        items.c.id.in_(ids), items.c.interprets.is_not(None))))}


def _superseded_by(conn: Connection, ids: list[int]) -> dict[int, int | None]:
    if not ids:
        return {}
    return {r.id: r.superseded_by for r in conn.execute(select(items.c.id, items.c.superseded_by).where(
        items.c.id.in_(ids)))}


def _urls(conn: Connection, ids: set[int]) -> dict[int, dict[str, str]]:
    """Per item: channel → url of its published copies."""
    if not ids:
        return {}
    found: dict[int, dict[str, str]] = {}
    for d in conn.execute(select(deliveries.c.item_id, deliveries.c.channel, deliveries.c.external_url).where(and_(
            deliveries.c.item_id.in_(sorted(ids)), deliveries.c.status == DeliveryStatus.PUBLISHED.value,
            deliveries.c.retract_requested.is_(False), deliveries.c.external_url.is_not(None)))
            .order_by(deliveries.c.channel)):
        found.setdefault(d.item_id, {})[d.channel] = d.external_url
    return found


def _titles(conn: Connection, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {r.id: r.title for r in conn.execute(select(items.c.id, items.c.title).where(items.c.id.in_(sorted(ids))))}


def _url_on(urls: dict[int, dict[str, str]], item_id: int, channel: str) -> str | None:
    """The item's copy on ``channel``, else its first copy elsewhere (by channel name); None when it has none."""
    mine = urls.get(item_id, {})
    return mine.get(channel) or next(iter(mine.values()), None)


def _notice(view: ItemView, newer: int | None, urls, titles, channel: str) -> str:
    notice = view.catalogue.validity_notice()
    if not notice:
        return ""
    text = f"<strong>{escape(notice)}</strong>"
    url = _url_on(urls, newer, channel) if newer else None
    if url:
        text += f"（现行文件：<a href=\"{escape(url)}\">{escape(titles.get(newer, ''))}</a>）"
    return f'<p class="{NOTICE_CLASS}">{text}</p>\n'


def _links_block(links: list[tuple[str, str, str]]) -> str:
    if not links:
        return ""
    lines = "".join(f'<li>{label}：<a href="{escape(url)}">{escape(title)}</a></li>' for label, title, url in links)
    return f'\n<div class="{LINKS_CLASS}"><p>相关链接</p><ul>{lines}</ul></div>'
