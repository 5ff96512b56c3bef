"""The demo's 转载任务: three tasks from 上级 carried by items the year publishes anyway (so the year's numbers stay
those of the reference report), one of them still missing its 抖音号 copy, one copied there by hand."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, select

from publisher.db.engine import reading
from publisher.db.schema import deliveries, items
from publisher.ledger.review_state import ReviewState
from publisher.reposts.tasks import TaskInput, add_tasks, link_item, record_done
from publisher.runtime.app import App

TASKS = (
    ("转载：关于做好住房城乡建设领域安全生产工作的通知", "市住房城乡建设局", ("website", "wechat")),
    ("转载：全市城镇老旧小区改造工作推进会精神", "市委网信办", ("website", "wechat", "抖音号")),
    ("转载：保障性住房政策问答", "市委网信办", ("website", "wechat", "抖音号")),
)


def seed_reposts(app: App, staff: dict, queued: list[int]) -> list[int]:
    """Record the demo's tasks against items already queued for the website and WeChat; returns the task ids."""
    editor = staff["zhang_bianji"]
    with reading(app.store.engine) as conn:
        channels = conn.execute(select(deliveries.c.item_id, deliveries.c.channel)
                                .join(items, items.c.id == deliveries.c.item_id)
                                .where(and_(deliveries.c.item_id.in_(queued),
                                            items.c.review_state == ReviewState.APPROVED))).all()
    both = {i for i, ch in channels if ch == "website"} & {i for i, ch in channels if ch == "wechat"}
    carriers = [i for i in queued if i in both]
    step = max(1, len(carriers) // len(TASKS))
    picked = [app.store.get_item(i) for i in carriers[::step][:len(TASKS)]]
    if len(picked) < len(TASKS):
        return []
    tz = app.config.tz
    inputs = [TaskInput(title=title, due_on=(item["publish_at"].astimezone(tz) + timedelta(days=3)).date(),
                        accounts=list(accounts), issuer=issuer,
                        source_url=f"https://www.example.gov.cn/zfxxgk/zz/{n + 1}.html")
              for n, ((title, issuer, accounts), item) in enumerate(zip(TASKS, picked))]
    ids = add_tasks(app, editor, inputs)
    for task_id, item in zip(ids, picked):
        link_item(app, editor, task_id, item["id"])
    record_done(app, editor, ids[2], "抖音号", "https://www.douyin.com/user/rudong-zhujian/video/1",
                picked[2]["publish_at"] + timedelta(days=1))
    return ids
