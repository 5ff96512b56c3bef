"""The demo's inspection round: a few items of the year carry what the quarterly inspection looks for, and after the
year the office adds a term to its list, re-scans what is out and checks its links.

Three 公示公告 of the year are touched (their counts do not change): one lists its contacts in a table without
header cells (an accessibility warning at queue time), one links to last year's notice, which the portal no longer
has (a broken link), one still names the bureau by its name before the 2019 reform (found by the re-scan once the
office adds that name to its list: a correction task).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from publisher.db.engine import reading
from publisher.db.schema import gate_findings, items
from publisher.foundation.i18n import _
from publisher.runtime.app import App

CATEGORY = "公示公告"
OLD_NAME, NEW_NAME = "县建设局", "县住房和城乡建设局"
TERMS_FILE = "office_terms.yaml"
TERMS = (f"# 本局自加的错敏词（机构名称）：2019年机构改革后的规范名称\n"
         f"terms:\n  - word: {OLD_NAME}\n    right: {NEW_NAME}\n    category: 机构名称\n"
         f"    note: 2019年机构改革后已更名\n")
TABLE = ("<table><tr><td>受理窗口</td><td>县政务服务中心三楼</td></tr>"
         "<tr><td>咨询电话</td><td>0513-84000000</td></tr></table>")
LINK = '<p>上一期公示见<a href="/articles/2018-0417.html">2018年第12期</a>。</p>'
PLACES = {3: TABLE, 5: LINK, 7: f"<p>联系单位：{OLD_NAME}房地产管理科。</p>"}  # n-th 公示公告 of the year → extra


def mark_plan(rows: list[dict]) -> list[dict]:
    """The year's rows with the three 公示公告 touched (same rows, same counts)."""
    notices = [row for row in rows if row.get("category") == CATEGORY]
    for index, extra in PLACES.items():
        if index < len(notices):
            notices[index]["body"] = notices[index]["body"] + extra
    return rows


def with_office_terms(config_text: str) -> str:
    """The configuration with the office's own term list switched on."""
    return config_text.replace("  terms_file: null", f"  terms_file: {TERMS_FILE}", 1)


def inspection_round(app: App, workdir: Path) -> list[str]:
    """Add the office's term, re-scan what is out, check the links; what the demo says about it."""
    from publisher.inspection.links import check_links
    from publisher.inspection.rescan import rescan
    from publisher.items.gate_runs import forget_terms

    (workdir / TERMS_FILE).write_text(TERMS, encoding="utf-8")
    app.config.gate = app.config.gate.model_copy(update={"terms_file": workdir / TERMS_FILE})
    forget_terms(app)
    office = app.config.office.code
    scanned = rescan(app, office=office, actor="demo")
    links = check_links(app, office, actor="demo")
    warned = _accessibility_warnings(app)
    lines = [_("re-scan: the office added {old} → {new} (机构名称) to its list; re-checking {scanned} published items "
               "opened {opened} correction(s) (publisher corrections list).").format(
        old=OLD_NAME, new=NEW_NAME, scanned=scanned["scanned"], opened=scanned["opened"])]
    lines.append(_("links: {links} link(s) and image(s) checked, {broken} broken (publisher links): {first}").format(
        links=links["links"], broken=len(links["broken"]),
        first=", ".join(sorted({f"#{b['item_id']} {b['url']}" for b in links["broken"]})) or "-"))
    lines.append(_("accessibility: {count} item(s) warned at queue time: {titles}").format(
        count=len(warned), titles="、".join(warned) or "-"))
    return lines


def _accessibility_warnings(app: App) -> list[str]:
    with reading(app.store.engine) as conn:
        rows = conn.execute(select(items.c.title).distinct().join(gate_findings, gate_findings.c.item_id == items.c.id)
                            .where(gate_findings.c.kind == "accessibility").order_by(items.c.title)).scalars()
        return list(rows)
