"""``publisher demo``: a year shaped like the reference report, through the sandbox and the real dispatcher.

The reference (如东县住房和城乡建设局, 2019) says: the website published 497 items (机构概况 2, 领导信息 1,
人事信息 1, 计划总结 1, 政策文件 18, 住房保障信息 44, 水质检测 365, 公示公告 64 — which add up to 496),
the WeChat account 121 and the trading-centre site 9: 627 in all. The demo queues such a year through
``queue import``, creates the 365 daily water-quality results from the series mechanism, lets a
simulated clock run through the year, and prints the paragraph the report needs.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
import random
import shutil
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from publisher.runtime.app import App
from publisher.foundation.clock import SimulatedClock
from publisher.config.load import load_config
from publisher.delivery.dispatcher import Dispatcher
from publisher.errors import InputError
from publisher.items.checking import shown_finding
from publisher.foundation.textwidth import pad
from publisher.foundation.workdays import add_workdays
from publisher.items.imports import import_file
from publisher.report import channel_paragraph
from publisher.report.seed import seed_reference_applications
from publisher.sandbox.demo_inspection import inspection_round, mark_plan, with_office_terms
from publisher.sandbox.registry import registered
from publisher.sandbox.demo_reposts import seed_reposts
from publisher.sandbox.serve import start_all
from publisher.report.tally import tally
from publisher.db.engine import reading
from publisher.foundation.i18n import _

TZ = ZoneInfo("Asia/Shanghai")
DEMO_MARK = ".publisher-demo"  # marks a --keep folder as the demo's own, so a later run may replace it
WEBSITE_PLAN = {  # the reference's website figures (they add up to 496; see RECONCILIATION)
    "机构概况": 2, "领导信息": 1, "人事信息": 1, "计划总结": 1, "政策文件": 18, "住房保障信息": 44, "公示公告": 64,
}
WATER_QUALITY = 365
WEBSITE_TOTAL = 497
WECHAT_TOTAL, WECHAT_SHARED = 121, 21  # 21 WeChat posts repeat a website item: publications ≠ distinct items
TRADING_TOTAL = 9
DEMO_PASSWORD = "Publisher-demo-2019"  # the demo's staff only, in the demo's own database
UNMASKED_LIST = 10  # the 11th housing-security list of the year carries a resident ID number, unmasked
UNMASKED_ROW = "公示对象：张某某，身份证号320623198503121233，申请公共租赁住房一套。"
STAFF = (("zhang_bianji", "editor", "张编辑"), ("li_chushen", "reviewer", "李初审"),
         ("wang_fushen", "reviewer", "王复审"), ("zhao_zhongshen", "approver", "赵终审"), ("admin", "admin", "管理员"))
RECONCILIATION = (
    "参考报告称网站平台发布497条，但所列分类合计为496条（2+1+1+1+18+44+365+64）。演示按497条生成，"
    "把差出的1条记入“其他”类，因此分类合计与总数一致；真实数据中每个数字都能用"
    "`publisher tally --items`追溯到具体条目，不会再出现这种差额。"
)
DEMO_TITLES = {
    "机构概况": ["局机关内设机构及职能调整情况", "局属事业单位机构设置情况"],
    "领导信息": ["局领导班子成员及分工"],
    "人事信息": ["2019年公开招聘编外人员公告"],
    "计划总结": ["2019年住房和城乡建设工作要点"],
    "政策文件": "关于印发住房城乡建设领域政策文件的通知(第{n}号)",
    "住房保障信息": "{m}月份公共租赁住房保障资格审核结果公示(第{n}批)",
    "公示公告": "建设工程项目公示公告(第{n}期)",
    "其他": ["关于开展住房城乡建设领域安全生产检查的情况通报"],
    "工作动态": "住建动态|城乡建设工作简讯(第{n}期)",
    "招标采购": "如东县保障性住房配套工程招标公告(第{n}标段)",
}


def demo_config_text(urls: dict[str, str]) -> str:
    """The packaged default configuration, pointed at this run's sandbox ports."""
    text = resources.files("publisher").joinpath("default_config.yaml").read_text(encoding="utf-8")
    for entry in registered():
        if entry.name in urls:
            text = text.replace(entry.default_url, urls[entry.name])
    return text


def build_plan(year: int, rng: random.Random, *, records: bool = False) -> list[dict]:
    """The year's hand-queued items as `queue import` rows (everything but the water-quality series). With
    ``records``, the 政策文件 are government records (:func:`_policy_row`) queued on the day after they were
    written (``queue_on``), a 解读 right after its policy (``interprets_previous``)."""
    rows: list[dict] = []

    def when(day_of_year: int, hour: int) -> str:
        day = date(year, 1, 1) + timedelta(days=day_of_year)
        return datetime(day.year, day.month, day.day, hour, rng.choice((0, 15, 30, 45)), tzinfo=TZ).isoformat()

    def spread(count: int) -> list[int]:
        return sorted(int((i + 0.5) * 364 / count) for i in range(count))

    def title(category: str, n: int, day: int) -> str:
        pattern = DEMO_TITLES[category]
        if isinstance(pattern, list):
            return pattern[n % len(pattern)]
        month = (date(year, 1, 1) + timedelta(days=day)).month
        return pattern.format(n=n + 1, m=month).split("|")[-1]

    website = dict(WEBSITE_PLAN)
    website["其他"] = WEBSITE_TOTAL - WATER_QUALITY - sum(WEBSITE_PLAN.values())
    shared_left = WECHAT_SHARED
    for category, count in website.items():
        for n, day in enumerate(spread(count)):
            if category == "政策文件" and records:
                rows.append(_policy_row(year, n, day, rows, when))
                continue
            channels = ["website", "feed"]
            if category == "住房保障信息" and shared_left:
                channels.append("wechat")
                shared_left -= 1
            body = f"<p>{title(category, n, day)}。</p><p>详见附件或咨询局办公室。</p>"
            if category == "住房保障信息" and n == UNMASKED_LIST:  # pasted from the applicants' register as it was
                body += f"<p>{UNMASKED_ROW}</p>"
            rows.append({"title": title(category, n, day), "category": category, "at": when(day, rng.randint(8, 17)),
                         "body": body, "department": "局办公室", "channels": channels})
    for n, day in enumerate(spread(WECHAT_TOTAL - WECHAT_SHARED)):
        rows.append({"title": title("工作动态", n, day), "category": "工作动态", "at": when(day, 18),
                     "body": f"<p>{title('工作动态', n, day)}:本局持续推进城乡建设各项工作。</p>", "channels": ["wechat"]})
    for n, day in enumerate(spread(TRADING_TOTAL)):
        rows.append({"title": title("招标采购", n, day), "category": "招标采购", "at": when(day, 10),
                     "body": f"<p>{title('招标采购', n, day)},欢迎符合条件的单位参与投标。</p>", "channels": ["trading"]})
    return rows


#: The 政策文件 of the year as records (issue 20), by their place n among the 18: 规范性文件 with 文号 and 成文日期, each
#: followed by its 解读 (forms below; the one after policy 8 comes 8 working days after it, 5 late), one policy left
#: without a 解读, one notice published 2 months after it was written; the first 规范性文件 is repealed in July by
#: policy 8 (REPEAL).
POLICIES = {0: "文字", 4: "图解", 8: "问答", 12: "图解"}
LATE_AFTER, LATE_INTERPRETATION = 8, 8  # that policy's 解读 comes out 8 working days after it (3 allowed)
LONE_POLICY, LATE_NOTICE = 16, 15
REPEAL = {"policy": 0, "by": 8, "on": (7, 1), "basis": "东住建〔{year}〕9号 第三十条"}


def _policy_row(year: int, n: int, day: int, rows: list[dict], when) -> dict:
    """One of the 18 政策文件 as a record: a 规范性文件, the 解读 of the one before, or a notice (通知)."""
    seq = n + 1
    row = {"category": "政策文件", "department": "局办公室", "channels": ["website", "feed"], "place": n}
    on = date(year, 1, 1) + timedelta(days=day)
    if n in POLICIES or n == LONE_POLICY:
        written = on - timedelta(days=10)
        title = f"关于印发《住房城乡建设领域管理办法（第{seq}号）》的通知"
        return {**row, "title": title, "at": when(day, 9), "body": f"<p>{title}。</p><p>第一条 为规范管理，制定本办法。</p>",
                "doc_no": f"东住建〔{year}〕{seq}号", "written_on": written.isoformat(), "genre": "规范性文件",
                "subject": "城乡建设、环境保护", "queue_on": (written + timedelta(days=1)).isoformat()}
    if n - 1 in POLICIES:
        policy = rows[-1]
        out = add_workdays(datetime.fromisoformat(policy["at"]).date(),
                           LATE_INTERPRETATION if n - 1 == LATE_AFTER else 1)
        form = POLICIES[n - 1]
        title = f"{'图解' if form == '图解' else '解读'}：{policy['title'][4:-3]}"
        return {**row, "title": title, "at": datetime(out.year, out.month, out.day, 10, 0, tzinfo=TZ).isoformat(),
                "body": f"<p>{title}。</p><p>一、出台背景……</p>", "genre": "解读", "interpretation_form": form,
                "queue_on": policy["queue_on"], "interprets_previous": True}
    written = on - timedelta(days=62 if n == LATE_NOTICE else 7)
    title = DEMO_TITLES["政策文件"].format(n=seq)
    return {**row, "title": title, "at": when(day, 15), "body": f"<p>{title}。</p>", "genre": "通知",
            "doc_no": f"东住建办〔{year}〕{seq}号", "written_on": written.isoformat(),
            "queue_on": (written + timedelta(days=1)).isoformat()}


def _record_actions(app: App, staff: dict, workdir: Path, rows: list[dict], year: int) -> list[tuple[datetime, object]]:
    """The records' days: each queued (a policy with its 解读, approved as a pair) the day after it was written,
    and the repeal in July; as (local time, action) in time order."""
    ids: dict[int, int] = {}
    actions = []
    for row in rows:
        if row.get("interprets_previous"):
            continue
        group = [row] + [r for r in rows if r.get("interprets_previous") and r["place"] == row["place"] + 1]
        day = date.fromisoformat(row["queue_on"])
        actions.append((datetime(day.year, day.month, day.day, 9, 0, tzinfo=TZ),
                        lambda group=group: _queue_records(app, staff, workdir, group, ids)))
    month, day = REPEAL["on"]

    def repeal() -> None:
        from publisher.items.validity import set_validity

        set_validity(app, staff["zhao_zhongshen"], ids[REPEAL["policy"]], "废止", date(year, month, day).isoformat(),
                     REPEAL["basis"].format(year=year), ids[REPEAL["by"]])
    actions.append((datetime(year, month, day, 10, 0, tzinfo=TZ), repeal))
    return sorted(actions, key=lambda a: a[0])


def _queue_records(app: App, staff: dict, workdir: Path, group: list[dict], ids: dict[int, int]) -> None:
    """Queue a record (and its 解读) with `queue import`, then take them through 三审 together."""
    from publisher.review import workflow as review

    queued = []
    for row in group:
        shown = {k: v for k, v in row.items() if k not in ("queue_on", "interprets_previous", "place")}
        if row.get("interprets_previous"):
            shown["interprets"] = queued[0]
        path = workdir / "records.jsonl"
        path.write_text(json.dumps(shown, ensure_ascii=False) + "\n", encoding="utf-8")
        [item_id] = import_file(app, path)
        ids[row["place"]] = item_id
        queued.append(item_id)
    editor, approver = staff["zhang_bianji"], staff["zhao_zhongshen"]
    for item_id in queued:
        review.submit(app, editor, item_id)
        for reviewer in (staff["li_chushen"], staff["wang_fushen"]):
            review.approve(app, reviewer, item_id)
    review.approve(app, approver, queued[0], with_interpretations=len(queued) > 1)


def _demo_folder(keep: Path | None) -> Path:
    """The folder the demo works in: a new temporary one, or ``--keep``'s (an earlier demo's is replaced)."""
    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="publisher-demo-"))
    if keep and workdir.exists() and any(workdir.iterdir()):
        if not (workdir / DEMO_MARK).is_file():  # never wipe a folder the demo did not create
            raise InputError(_("{workdir} is not empty and not an earlier demo's folder; give a new or empty "
                               "folder").format(workdir=workdir), field="--keep")
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / DEMO_MARK).write_text("made by `publisher demo --keep`; the next run replaces this folder\n",
                                     encoding="utf-8")
    return workdir


def run_demo(year: int = 2019, keep: Path | None = None, progress: bool = True, console: Console | None = None) -> int:
    """Run the demo; returns the exit code (0 when the website's count matches the reference)."""
    console = console or Console(highlight=False)
    if not console.is_terminal:  # piped: a line stays one line, whatever width rich guesses
        console.soft_wrap = True
    started = time.perf_counter()
    logging.getLogger("publisher").setLevel(logging.ERROR)  # the progress bar and the summary tell the story
    workdir = _demo_folder(keep)
    start = datetime(year, 1, 1, tzinfo=TZ)
    end = datetime(year + 1, 1, 1, tzinfo=TZ)
    clock = SimulatedClock(start)
    servers = start_all(port_base=0, clock=clock)
    try:
        urls = {entry.name: server.url for entry, server in servers}
        emulators = {entry.name: server.emulator for entry, server in servers}
        config_path = workdir / "config.yaml"
        config_path.write_text(demo_config_text(urls), encoding="utf-8")
        app = App.from_config(load_config(config_path), clock)
        app.actor = "demo"
        staff = _hire_staff(app)
        app.user = staff["zhang_bianji"]
        rng = random.Random(year)
        plan_file = workdir / "items.jsonl"
        plan = mark_plan(build_plan(year, rng, records=True))
        plan_file.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in plan if "queue_on" not in r) + "\n",
                             encoding="utf-8")
        queued = import_file(app, plan_file)
        actions = _record_actions(app, staff, workdir, [r for r in plan if "queue_on" in r], year)
        console.print("[bold]publisher demo[/] — " + _(
            "{year}, {office}; sandbox at {url} …; queued {count} items with `queue import`, water-quality results "
            "come from the series").format(year=year, office=app.config.office.name, url=urls["cms"],
                                           count=len(queued)))
        for line in _review_everything(app, staff, queued):
            console.print(line)
        seed_reposts(app, staff, queued)  # 转载任务 carried by items of the year; one still missing its 抖音号 copy
        _inject_faults(emulators)
        emulators["water-quality"].available_until = _lab_results(clock, year)
        seed_reference_applications(app, year)  # Table 三: 58 applications like the reference year's, sample narrative
        dispatcher = Dispatcher(app, rng=random.Random(7))
        stats = _run_year(app, dispatcher, clock, start, end, progress, console, actions)
        result = tally(app.store, app.config, year)
        inspected = inspection_round(app, workdir)
        _print_summary(console, app, result, stats, emulators, time.perf_counter() - started, workdir, keep)
        for line in inspected:
            console.print(line)
        website = next(ch for ch in result["channels"] if ch["channel"] == "website")
        app.close()
        if keep:  # this run's emulators stop now: point the kept config at `publisher sandbox`'s own ports
            config_path.write_text(with_office_terms(demo_config_text({})), encoding="utf-8")
        return 0 if website["total"] == WEBSITE_TOTAL else 1
    finally:
        for _name, server in servers:
            server.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _hire_staff(app: App) -> dict:
    """The office's simulated staff: an editor, two reviewers, an approver, an admin (by role)."""
    from publisher.accounts.users import actor_from_row, add_user

    return {name: actor_from_row(add_user(app.store, name, role, app.config.office.code, display_name=display,
                                          password=DEMO_PASSWORD, created_by="demo"))
            for name, role, display in STAFF}


def _review_everything(app: App, staff: dict, ids: list[int]) -> list[str]:
    """The staff take every queued item through 初审 → 复审 → 终审; the gate holds the one unmasked list until
    the editor masks it. Returns what the demo says about it."""
    from publisher.review import workflow as review
    from publisher.errors import Refused
    from publisher.items.checking import mask_stored_item
    from publisher.review.standing import grant

    editor, approver = staff["zhang_bianji"], staff["zhao_zhongshen"]
    reviewers = [staff["li_chushen"], staff["wang_fushen"]]
    lines = []
    for item_id in ids:
        review.submit(app, editor, item_id)
        for reviewer in reviewers:
            review.approve(app, reviewer, item_id)
        try:
            review.approve(app, approver, item_id)
        except Refused as exc:
            if exc.rule != "gate":
                raise
            shown = review.show(app, approver, item_id)
            finding = shown_finding(shown["findings"][0])
            masked = mask_stored_item(app, editor, item_id)  # a new revision: back to 初审
            for reviewer in reviewers:
                review.approve(app, reviewer, item_id)
            review.approve(app, approver, item_id)
            lines.append(_("gate: item {id} was held at 终审 — {kind} in {field} ({where}: {text}); the editor masked "
                           "it ({masked} number), the three steps approved revision {revision} and it went out "
                           "de-identified.").format(id=item_id, kind=finding["kind"], field=finding["field"],
                                                    where=finding["where"], text=finding["text"],
                                                    masked=masked["masked"], revision=masked["revision"]))
    grant(app, approver, "water_quality", comment="模板经三审审定")
    names = "、".join(u.display_name for u in (editor, *reviewers, approver))
    lines.insert(0, _("review: {count} items submitted and approved through 初审 → 复审 → 终审 by {names}; the daily "
                      "water-quality table publishes under {approver}'s standing approval of its template.").format(
                          count=len(ids), names=names, approver=approver.display_name))
    return lines


def _inject_faults(emulators: dict) -> None:
    """Make January realistic: the portal fails twice, throttles once and drops one accepted request."""
    faults = emulators["cms"].faults
    faults.add("status", status=503, path="^/api/articles$", times=2)
    faults.add("status", status=429, retry_after=300, path="^/api/articles$")
    faults.add("accept_then_drop", path="^/api/articles$")


LATE_LAB_DAY = (7, 15)  # that day the lab's results come in at 11:00 instead of before 09:00


def _lab_results(clock: SimulatedClock, year: int):
    """The last day whose results the water plant has published, by the simulated clock."""
    late = date(year, *LATE_LAB_DAY)

    def available_until() -> date:
        local = clock.now().astimezone(TZ)
        if local.date() == late and local.hour < 11:
            return late - timedelta(days=1)
        return local.date()

    return available_until


def _late_occurrences(app: App) -> list[tuple[str, datetime]]:
    """Occurrences that had to wait for their data, with the time their item was queued."""
    from publisher.db.schema import items, series_occurrences as occ

    with reading(app.store.engine) as conn:
        rows = conn.execute(select(occ.c.occurrence_key, items.c.created_at)
                            .join(items, items.c.id == occ.c.item_id).where(occ.c.tries > 1)).all()
    return [(key, created.replace(tzinfo=timezone.utc) if created.tzinfo is None else created) for key, created in rows]


def _run_year(app: App, dispatcher: Dispatcher, clock: SimulatedClock, start: datetime, end: datetime,
              progress: bool, console: Console, actions: list | None = None):
    from publisher.delivery.dispatcher import RunStats
    from publisher.series.runner import SeriesRunner

    series = SeriesRunner(app)
    stats = RunStats()
    horizon = end + timedelta(days=3)  # let the last retries finish
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[date]}"),
               TextColumn(_("{done} published").replace("{done}", "{task.fields[done]}")), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not progress, transient=False) as bar:
        task = bar.add_task(_("replaying the year"), total=(end - start).days, date="", done=0)
        actions = list(actions or [])
        while True:
            while actions and actions[0][0] <= clock.now():
                actions.pop(0)[1]()
            if clock.now() < end:
                series.tick()
            result = dispatcher.run_due()
            stats.outcomes.update(result.outcomes)
            candidates = [t for t in (dispatcher.next_due(), series.next_due() if clock.now() < end else None,
                                      actions[0][0] if actions else None) if t is not None]
            if not candidates:
                break
            nxt = max(min(candidates), clock.now() + timedelta(seconds=1))
            if nxt > horizon:
                break
            clock.set(nxt)
            local = clock.now().astimezone(TZ)
            bar.update(task, completed=min((local - start).days, (end - start).days), date=f"{local:%Y-%m-%d}",
                       done=stats.outcomes["published"])
        bar.update(task, completed=(end - start).days)
    return stats


def _print_summary(console, app, result, stats, emulators, elapsed, workdir, keep) -> None:
    console.print()
    for ch in result["channels"]:
        note = "" if ch["count_in_report"] else _(" (mirror, not counted in the report)")
        console.print(f"  {pad(ch['display_name'], 24)} {ch['total']:>4}{note}")
    server_count = len(emulators["cms"].live_articles())
    website = next(ch for ch in result["channels"] if ch["channel"] == "website")
    verdict = _("no duplicates") if server_count == website["total"] else _("MISMATCH")
    for key, queued in _late_occurrences(app):
        console.print("\n" + _("water quality {day}: the lab's results were late; the series waited and published "
                              "them at {time} (never an empty table).").format(
                                  day=key[:10], time=f"{queued.astimezone(TZ):%H:%M}"))
    console.print("\n" + _("retries: {failed} failed attempts retried, {in_doubt} in-doubt deliveries settled by "
                          "look-up; the portal emulator holds {articles} articles for {website} website publications "
                          "({verdict}).").format(failed=stats.outcomes["failed"], in_doubt=stats.outcomes["in_doubt"],
                                                 articles=server_count, website=website["total"], verdict=verdict))
    console.print(f"\n[bold]{_('note:')}[/] {RECONCILIATION}\n")
    console.print("[bold]一、总体情况 · 第3点(节选)[/]")
    console.print(channel_paragraph(result, app.config), soft_wrap=True)  # a paragraph to copy: never hard-wrapped
    console.print("\n" + _("{publications} publications, {items} distinct items; demo took {seconds} s").format(
        publications=result["publications"], items=result["distinct_items"], seconds=f"{elapsed:.1f}")
        + (_("; files kept in {folder}").format(folder=workdir) if keep else ""))
    if keep:
        console.print(_("console: publisher --config {config} serve, then http://127.0.0.1:8800/ — log in as "
                        "zhang_bianji (editor), li_chushen, wang_fushen, zhao_zhongshen or admin, password "
                        "{password}").format(config=workdir / "config.yaml", password=DEMO_PASSWORD))
        console.print(_("the demo's sandbox stopped with it; to publish from the kept folder start a new one "
                        "(empty, on ports 8701-8707, as {config} now expects): publisher sandbox &  then  "
                        "publisher --config {config} run").format(config=workdir / "config.yaml"))
