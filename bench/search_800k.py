"""How fast search answers over 800,000 items (SQLite; PostgreSQL with PUBLISHER_BENCH_PG=URL).

    python bench/search_800k.py [N]
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from publisher.db.engine import make_engine
from publisher.db.schema import items
from publisher.ledger.listing import Filters, list_items

WORDS = ["关于", "开展", "住房", "保障", "年审", "的通知", "公示", "城镇", "租赁补贴", "审核结果", "棚户区改造", "征收",
         "补偿", "方案", "水质", "检测", "报告", "工程", "招标", "公告", "物业", "管理", "安全", "检查"]


def title(rng: random.Random) -> str:
    return "".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9)))


def fill(engine, n: int) -> None:
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    batch = []
    for i in range(n):
        t = title(rng) if i % 20000 else "关于公共租赁住房配租结果的公示"
        batch.append(dict(uid=uuid.uuid4().hex, title=t, category="公示公告", body_html=f"<p>{title(rng)}{title(rng)}</p>",
                          publish_at=now, created_at=now, office="default", doc_no=f"东住建〔2019〕{i}号"))
        if len(batch) == 5000:
            with engine.begin() as conn:
                conn.execute(insert(items), batch)
            batch = []
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(items), batch)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 800_000
    url = os.environ.get("PUBLISHER_BENCH_PG") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    started = time.perf_counter()
    fill(engine, n)
    print(f"{engine.dialect.name}: {n} items inserted (with the index) in {time.perf_counter() - started:.0f} s")
    tz = ZoneInfo("Asia/Shanghai")
    for q in ("公租房", "公共租赁住房", "东住建〔2019〕777号", "租赁补贴审核", "停水", "公租配"):
        started = time.perf_counter()
        found = list_items(engine, tz, Filters(office="default", q=q), per_page=50)
        print(f"  {q}: {found['total']} found{' (in order)' if found['in_order'] else ''}, "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
