"""What the console pages and the API show, assembled once from the core (items, review, ledger, audit)."""

from __future__ import annotations

import difflib
import html
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select

from publisher.review import workflow as review
from publisher.adapter import ItemView
from publisher.runtime.app import App
from publisher.foundation.content import plain_text
from publisher.db.engine import reading
from publisher.foundation.i18n import shown as in_office_language
from publisher.db.schema import deliveries, item_revisions, items, review_decisions
from publisher.report.tally import ledger_groups, per_month
from publisher.delivery.corrections import copy_state, out_somewhere
from publisher.delivery.partial import failed_channels
from publisher.accounts.users import Actor
from publisher.ledger.event_sentences import shown_error
from publisher.ledger.item_status import ItemStatus
from publisher.ledger.lifecycle import DeliveryStatus
from publisher.items.catalogue import catalogue_json

def item_json(app: App, actor: Actor, item_id: int, *, with_events: bool = False) -> dict:
    """``item show --json`` for the actor (NotFound for another office's item)."""
    shown = review.show(app, actor, item_id)
    row = app.store.get_item(item_id)
    data = {
        "id": row["id"], "title": row["title"], "category": row["category"], "status": row["status"],
        "office": row["office"], "key": row.get("key"), "revision": row["revision"],
        "publish_at": row["publish_at"], "department": row["department"], "summary": row["summary"],
        "review_state": row["review_state"], "time_given": bool(row.get("time_given", True)),
        "review": {"state": shown["state"], "step": shown["step"], "late": shown["late"], "held": shown["held"]},
        "deliveries": [{k: d[k] for k in ("channel", "status", "attempts", "external_id", "external_url",
                                          "published_at", "last_error", "next_attempt_at", "retract_requested",
                                          "revision")} | {"update": _copy_state(d, row),
                                                          "waiting_for": d.get("waiting_for")}
                       for d in row["deliveries"]],
        "attachments": [{k: a[k] for k in ("filename", "sha256", "size", "inline")} for a in row["attachments"]],
        "channel_options": row["channel_options"] or {},
    } | catalogue_json(app.config, row, app.clock.now().astimezone(app.config.tz).date())
    data["partial"] = [{"channel": d["channel"], "status": d["status"],
                        "why": shown_error(d["last_error"], _display_names(app)) if d["last_error"] else ""}
                       for d in failed_channels(data["deliveries"])]
    if with_events:
        data["events"] = [{k: e[k] for k in ("at", "kind", "channel", "actor", "detail")}
                          for e in app.store.events_for(item_id)]
    return data


def _copy_state(delivery: dict, item: dict) -> str | None:
    state = copy_state(delivery, item)
    return state.value if state else None


def body_of(app: App, item_id: int) -> str:
    """The item's sanitised body HTML."""
    with reading(app.store.engine) as conn:
        return conn.execute(select(items.c.body_html).where(items.c.id == item_id)).scalar() or ""


def diff_since_approval(app: App, item_id: int) -> dict | None:
    """The text's changes since the last revision anyone approved: ``{"from", "to", "lines"}``, None if none."""
    with reading(app.store.engine) as conn:
        approved = conn.execute(select(func.max(review_decisions.c.revision)).where(and_(
            review_decisions.c.item_id == item_id, review_decisions.c.decision == review.Decision.APPROVED))).scalar()
        current = conn.execute(select(items.c.revision).where(items.c.id == item_id)).scalar()
        if approved is None or current is None or approved == current:
            return None
        revs = {r.revision: r for r in conn.execute(select(item_revisions).where(and_(
            item_revisions.c.item_id == item_id, item_revisions.c.revision.in_((approved, current)))))}
    if approved not in revs or current not in revs:
        return None

    def lines(r) -> list[str]:
        return [f"标题：{r.title}", f"摘要：{r.summary}"] + _paragraphs(r.body_html)

    diff = list(difflib.unified_diff(lines(revs[approved]), lines(revs[current]), lineterm="", n=1))[2:]
    return {"from": approved, "to": current,
            "lines": [{"kind": {"+": "add", "-": "del", "@": "hunk"}.get(d[:1], "same"), "text": d} for d in diff]}


def _paragraphs(body_html: str) -> list[str]:
    text = plain_text(body_html.replace("</p>", "</p>\n").replace("<br>", "\n"))
    return [line.strip() for line in text.splitlines() if line.strip()] or [text]


# -- previews ------------------------------------------------------------------------------------------------

def stored_view(app: App, item_id: int, channel: str) -> ItemView:
    """The ItemView an adapter would get for a stored item."""
    with reading(app.store.engine) as conn:
        return app.store.item_view(conn, item_id, channel)


def channel_problems(app: App, view: ItemView, channel: str) -> list[str]:
    """Every limit of ``channel`` the item breaks (the adapter's own check)."""
    try:
        from publisher.web.wording import console_words

        names = {n: (s.display_name or n) for n, s in app.config.channels.items()}
        return [console_words(in_office_language(problem), lambda n: names.get(n, n))
                for problem in app.channel(channel).check(view)]
    except Exception as exc:  # a broken adapter must not take the page down; show why instead
        return [f"无法检查：{type(exc).__name__}: {exc}"]


def draft_view(app: App, fields: dict[str, Any], channel: str) -> ItemView:
    """An ItemView for form fields not yet saved (for checking as the editor types)."""
    from publisher.foundation.content import sanitize_html

    body = fields.get("body") or ""
    if not body.strip():  # as queueing does: a notice may be just its title
        body = html.escape((fields.get("title") or "").strip())
    if "<" not in body:
        body = "".join(f"<p>{html.escape(line)}</p>" for line in body.splitlines() if line.strip())
    from publisher.web.body_images import as_stored

    body, images = as_stored(sanitize_html(body), app.config.attachments_dir)
    return ItemView(id=0, uid="", title=(fields.get("title") or "").strip(), category=fields.get("category") or "",
                    body_html=body, inline_images=images, publish_at=app.clock.now(),
                    summary=fields.get("summary") or "",
                    department=fields.get("department") or "",
                    channel_options=dict((fields.get("options") or {}).get(channel, {})))


def preview_html(app: App, view: ItemView, channel: str) -> str:
    """A self-contained page showing ``view`` as ``channel`` will (served with its own strict CSP, sandboxed)."""
    settings = app.config.channels[channel]
    kind = settings.type
    title = html.escape(str(view.option("title", view.title)))
    when = view.publish_at.astimezone(app.config.tz).strftime("%Y-%m-%d %H:%M")
    body = _inline_images(view, _platform_body(app, view, channel))
    text = plain_text(view.body_html)
    style = ("body{font:14px/1.7 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:0;padding:12px;color:#222;"
             "background:#f4f5f7}img{max-width:100%}.card{background:#fff;border-radius:6px;max-width:340px;"
             "margin:auto;box-shadow:0 1px 4px #0002;overflow:hidden}.cover{height:120px;display:flex;"
             "align-items:flex-end;padding:8px 12px;color:#fff;font-weight:bold;font-size:16px}.digest{padding:8px 12px;"
             "color:#666}.page{background:#fff;padding:16px 24px;max-width:760px;margin:auto}h1{font-size:20px;"
             "text-align:center}.meta{color:#666;text-align:center;font-size:12px;border-bottom:1px solid #ddd;"
             "padding-bottom:8px}.notice h1{color:#b00;font-size:18px}.att{font-size:12px;color:#05c}"
             "body{overflow-wrap:anywhere}table{border-collapse:collapse;max-width:100%;display:block;overflow-x:auto;"
             "margin:8px 0}"
             "td,th{border:1px solid #999;padding:3px 6px}th{background:#eee}@media (max-width:480px){.page{padding:12px}}")
    if kind == "wechat":
        color = html.escape(str(getattr(settings, "cover_color", None) or "#1f4e8c"))
        digest = html.escape((view.summary or text)[:54])
        inner = (f'<div class="card"><div class="cover" style="background:{color}">{title}</div>'
                 f'<div class="digest">{digest}</div></div><div class="page" style="margin-top:12px">'
                 f'<h1>{title}</h1><div class="meta">{html.escape(str(getattr(settings, "author", "") or ""))} '
                 f'{when}</div>{body}</div>')
    elif kind == "resource_site":
        files = "".join(f'<div class="att">附件：{html.escape(a.filename)}</div>' for a in view.attachments)
        inner = (f'<div class="page notice"><h1>{title}</h1><div class="meta">发布时间：{when}</div>{body}{files}'
                 f'</div>')
    else:
        dept = html.escape(view.department or app.config.office.name)
        files = "".join(f'<div class="att">附件：{html.escape(a.filename)}</div>' for a in view.attachments)
        inner = (f'<div class="page"><h1>{title}</h1><div class="meta">来源：{dept}　发布时间：{when}　'
                 f'栏目：{html.escape(view.category)}</div>{body}{files}</div>')
    return (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><style>{style}</style><body>{inner}</body></html>')


def _platform_body(app: App, view: ItemView, channel: str) -> str:
    """The body as the channel's platform shows it (WeChat: inline-styled tables …); as stored if it cannot say."""
    try:
        return app.channel(channel).preview_body(view)
    except Exception:  # noqa: BLE001 — a broken adapter must not take the preview down
        return view.body_html


def _inline_images(view: ItemView, body: str) -> str:
    """The body with ``attachment:`` images shown as data URLs (the preview loads nothing from outside)."""
    import base64

    for sha, att in view.inline_images.items():
        try:
            data = base64.b64encode(Path(att.path).read_bytes()).decode()
        except OSError:
            continue
        body = body.replace(f'src="attachment:{sha}"', f'src="data:{att.mime};base64,{data}"')
    return body


# -- the 工作台 --------------------------------------------------------------------------------------------

def inspection_risks(app: App, office: str) -> list[dict]:
    """Channels, columns and columns on a channel near or past their inspection limit (each channel's and column's
    configured one, publisher.channel_registry.clocks): ``{"what", "name", "label", "last", "limit", "days_left"}``
    (negative days_left: already at risk), most urgent first."""
    from publisher.channel_registry.clocks import clocks, warn_days

    ahead = warn_days(app)
    return [vars(c) for c in clocks(app, office)
            if c.days_left is None or c.days_left <= max(ahead, c.limit // 5)]


def today_schedule(app: App, office: str) -> list[dict]:
    """Items scheduled for today (office time), with their deliveries."""
    from publisher.ledger.listing import Filters, list_items

    today = app.clock.now().astimezone(app.config.tz).date()
    return list_items(app.store.engine, app.config.tz, Filters(office=office, since=today, until=today),
                      per_page=100, order="schedule")["items"]


def attention(app: App, office: str) -> dict[str, list[dict]]:
    """What an operator must look at: dead deliveries and late approved items of the office."""
    now = app.clock.now()
    with reading(app.store.engine) as conn:
        dead = [dict(r._mapping) for r in conn.execute(
            select(items.c.id, items.c.title, deliveries.c.channel, deliveries.c.last_error)
            .join(items, items.c.id == deliveries.c.item_id)
            .where(and_(items.c.office == office, deliveries.c.status == DeliveryStatus.DEAD,
                        items.c.status == ItemStatus.ACTIVE))
            .order_by(items.c.id.desc()).limit(50))]
        late = [dict(r._mapping) for r in conn.execute(
            select(items.c.id, items.c.title, items.c.publish_at, items.c.review_state).where(and_(
                items.c.office == office, items.c.status == ItemStatus.ACTIVE, items.c.publish_at <= now,
                items.c.time_given.is_(True),  # an item saved without a time goes once approved: never late
                items.c.review_state != review.ReviewState.APPROVED, ~out_somewhere()))
            .order_by(items.c.publish_at).limit(50))]
    return {"dead": dead, "late": late}


def record_warnings(app: App, office: str) -> dict[str, Any]:
    """The 工作台's record warnings: items not yet published from working day 15 of their 20-working-day clock (or
    past it), this year's policies without a 解读, and 解读 later than 3 working days after their policy."""
    from publisher.items.catalogue import clock
    from publisher.report.records import interpretations, record_rows

    today = app.clock.now().astimezone(app.config.tz).date()
    with reading(app.store.engine) as conn:
        rows = record_rows(conn, app.config, office)
    due = []
    for r in rows:
        standing = clock(r["written_on"], None, today) if r["published_on"] is None else None
        if standing and (standing["warn"] or standing["late"]):
            due.append({"id": r["id"], "title": r["title"], **standing})
    j = interpretations(rows, today.year, today)
    return {"due": sorted(due, key=lambda r: r["due"]), "without": j["without"], "late": j["late"],
            "ratio": j["ratio"], "policies": j["policies"], "forms": j["forms"]}


# -- tallies ---------------------------------------------------------------------------------------------------

def monthly(app: App, office: str, year: int) -> dict[str, list[int]]:
    """Publications per channel per local month of ``year`` (12 numbers a channel), counted by the database."""
    with reading(app.store.engine) as conn:
        counts = per_month(ledger_groups(conn, app.config, year, office, months=True), app.config)
    return {name: counts[name] for name in app.config.channels if name in counts}


def month_chart_svg(series: dict[str, list[int]], labels: dict[str, str]) -> str:
    """A grouped bar chart (server-rendered SVG) of publications per month per channel."""
    colors = ["#1f4e8c", "#2e8b57", "#c8702a", "#8e44ad", "#b03a2e", "#555"]
    width, height, left, bottom = 900, 260, 40, 30
    peak = max([max(v) for v in series.values()] + [1])
    peak = -(-peak // 4) * 4  # whole numbers on the four grid lines
    group = (width - left) / 12
    bar = max(2.0, (group - 6) / max(1, len(series)))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 30}" role="img" '
             f'aria-label="各渠道每月发布条数" class="chart">']
    for tick in range(0, 5):
        value = peak * tick // 4
        y = height - bottom - (height - bottom - 10) * tick / 4
        parts.append(f'<line x1="{left}" x2="{width}" y1="{y:.0f}" y2="{y:.0f}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y + 4:.0f}" font-size="11" text-anchor="end">{value}</text>')
    for m in range(12):
        x0 = left + m * group + 3
        for i, (name, values) in enumerate(series.items()):
            h = (height - bottom - 10) * values[m] / peak
            parts.append(f'<rect x="{x0 + i * bar:.1f}" y="{height - bottom - h:.1f}" width="{bar - 1:.1f}" '
                         f'height="{h:.1f}" fill="{colors[i % len(colors)]}"><title>{html.escape(labels.get(name, name))}'
                         f' {m + 1}月：{values[m]}</title></rect>')
        parts.append(f'<text x="{x0 + group / 2 - 3:.0f}" y="{height - bottom + 16}" font-size="12" '
                     f'text-anchor="middle">{m + 1}月</text>')
    for i, name in enumerate(series):
        parts.append(f'<rect x="{left + i * 160}" y="{height + 8}" width="12" height="12" '
                     f'fill="{colors[i % len(colors)]}"/><text x="{left + i * 160 + 16}" y="{height + 18}" '
                     f'font-size="12">{html.escape(labels.get(name, name))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def schedule_window(app: App) -> tuple[datetime, datetime]:
    """Now and one day later (for 'due soon' lists)."""
    now = app.clock.now()
    return now, now + timedelta(days=1)


def _display_names(app: App):
    """The channel's display name by its configuration key (the key itself for one not configured)."""
    names = {name: settings.display_name or name for name, settings in app.config.channels.items()}
    return lambda name: names.get(name, name)
