"""Benchmarks of issue 13, each beside a baseline measured in the same run; prints one table.

Cases: punctuality (items due over a window, one daemon; SQLite and PostgreSQL), throughput (items × 2 channels
against a plain requests.Session loop at the same concurrency), latency-bound (a 100 ms channel at concurrency
16 against concurrency/latency), scale-out (two `publisher run --once` processes on PostgreSQL against one),
size (tally and `queue list` pages over many publications in SQLite, against a bare SQL scan) and the daemon's
peak RSS. Each case runs ``--repeat`` times; the table shows medians. PostgreSQL rows are skipped when no server
answers at 127.0.0.1:5432.

    python bench/run.py [--quick] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import requests
import yaml
from sqlalchemy import create_engine, insert as sql_insert, text

from publisher import audit
from publisher.app import App
from publisher.config import load_config
from publisher.daemon import Daemon
from publisher.dispatcher import Dispatcher
from publisher.listing import Filters, list_items
from publisher.queue import ItemRequest, insert, prepare
from publisher.sandbox.cms import CmsEmulator
from publisher.sandbox.server import EmulatorServer
from publisher.schema import deliveries, items
from publisher.tally import tally

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TOKEN = "sandbox-cms-token"


class SlowCms(CmsEmulator):
    """The CMS emulator answering every request after ``latency`` seconds (a latency-bound channel)."""

    def __init__(self, latency: float):
        super().__init__()
        self.latency = latency

    def dispatch(self, request):
        time.sleep(self.latency)
        return super().dispatch(request)


@dataclass
class Row:
    case: str
    figure: str
    baseline: str
    ratio: float | None
    goal: str
    met: bool | None


# -- set-up helpers -------------------------------------------------------------------------------------------
def write_config(urls: dict[str, str], db_url: str, workdir: Path, *, concurrency: int, workers: int = 8) -> Path:
    """A config with one CMS channel per entry of ``urls``, review off, over ``db_url``."""
    doc = {
        "office": {"name": "基准局", "short_name": "我局"},
        "database": {"url": db_url},
        "storage": {"attachments": str(workdir / "att")},
        "categories": ["公示公告"],
        "review": {"enabled": False},
        "daemon": {"workers": workers},
        "channels": {name: {"type": "cms", "base_url": url, "auth_token": TOKEN, "concurrency": concurrency}
                     for name, url in urls.items()},
        "routing": {"default": list(urls)},
    }
    path = workdir / f"bench-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def queue(app: App, n: int, at: Callable[[int], datetime] | None = None) -> None:
    requests_ = [ItemRequest(title=f"基准文章{i}", category="公示公告", body="<p>正文</p>",
                             at=at(i).isoformat() if at else None) for i in range(n)]
    for start in range(0, n, 1000):
        insert(app, [prepare(app, r) for r in requests_[start:start + 1000]])


class Databases:
    """SQLite files in the work folder, and a fresh PostgreSQL schema per use when a server answers."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.schemas: list[str] = []
        try:
            self.pg = create_engine(PG, isolation_level="AUTOCOMMIT")
            with self.pg.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            self.pg = None
            print("PostgreSQL not reachable: skipping its rows", file=sys.stderr)

    def url(self, kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{self.workdir}/{uuid.uuid4().hex[:8]}.db"
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with self.pg.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        self.schemas.append(schema)
        return f"{PG}?options=-csearch_path%3D{schema}"

    def close(self) -> None:
        if self.pg is not None:
            with self.pg.connect() as conn:
                for schema in self.schemas:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            self.pg.dispose()


# -- baselines --------------------------------------------------------------------------------------------------
def plain_loop(url_of: Callable[[int], str], calls: int, concurrency: int) -> float:
    """Seconds for ``calls`` POSTs made by ``concurrency`` threads, one requests.Session each."""
    local = threading.local()
    counter = iter(range(calls))
    lock = threading.Lock()

    def worker() -> None:
        local.session = requests.Session()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            r = local.session.post(f"{url_of(i)}/api/articles", json={
                "title": f"基准文章{i}", "content": "<p>正文</p>", "column": "公示公告",
                "publish_time": "2019-06-01T10:00:00+08:00"},
                headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": uuid.uuid4().hex}, timeout=30)
            r.raise_for_status()

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def plain_timer_lateness(url: str, due: list[datetime]) -> list[float]:
    """Lateness of a plain loop that sleeps until each due time, then POSTs (the best a poller-free loop does)."""
    session = requests.Session()
    late = []
    for when in due:
        wait = (when - datetime.now(timezone.utc)).total_seconds()
        if wait > 0:
            time.sleep(wait)
        session.post(f"{url}/api/articles", json={"title": "t", "content": "<p>x</p>", "column": "公示公告",
                                                  "publish_time": "2019-06-01T10:00:00+08:00"},
                     headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": uuid.uuid4().hex})
        late.append((datetime.now(timezone.utc) - when).total_seconds())
    return late


def assert_chain_holds(app: App) -> None:
    """`publisher audit verify` after a run: the audit chain is unbroken."""
    with app.store.engine.connect() as conn:
        checked, problem = audit.verify(conn)
    assert problem is None, problem


# -- cases ------------------------------------------------------------------------------------------------------
def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def punctuality(db: Databases, kind: str, n: int, window: float, workdir: Path) -> tuple[float, float]:
    """(publisher's lateness p99, the plain timer loop's p99) for ``n`` items due evenly over ``window`` s."""
    with EmulatorServer(CmsEmulator()) as server:
        app = App.from_config(load_config(write_config({"website": server.url}, db.url(kind), workdir,
                                                       concurrency=4)))
        first = datetime.now(timezone.utc) + timedelta(seconds=3)
        due = [first + timedelta(seconds=window * i / n) for i in range(n)]
        queue(app, n, lambda i: due[i])
        daemon = Daemon(app)
        runner = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
        runner.start()
        baseline = plain_timer_lateness(server.url, [first + timedelta(seconds=window * i / 50) for i in range(50)])
        deadline = time.monotonic() + window + 60
        while time.monotonic() < deadline and app.store.delivery_counts().get("published", 0) < n:
            time.sleep(0.2)
        daemon.stop()
        runner.join()
        with app.store.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT d.published_at, i.publish_at FROM deliveries d JOIN items i ON i.id = d.item_id "
                "WHERE d.status = 'published'")).all()
        app.close()
    aware = [(_utc(p) - _utc(q)).total_seconds() for p, q in rows]
    if len(aware) < n:
        aware += [float("inf")] * (n - len(aware))
    return p99(aware), p99(baseline)


def _utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def throughput(db: Databases, n: int, concurrency: int, workdir: Path) -> tuple[float, float, int]:
    """(publisher seconds, plain loop seconds, peak RSS KiB) for ``n`` items × 2 channels."""
    with EmulatorServer(CmsEmulator()) as a, EmulatorServer(CmsEmulator()) as b:
        urls = {"website": a.url, "portal": b.url}
        base = plain_loop(lambda i: (a.url, b.url)[i % 2], 2 * n, 2 * concurrency)
        a.emulator.reset()
        b.emulator.reset()
        app = App.from_config(load_config(write_config(urls, db.url("sqlite"), workdir, concurrency=concurrency,
                                                       workers=2 * concurrency)))
        queue(app, n)
        dispatcher = Dispatcher(app)
        start = time.perf_counter()
        dispatcher.run_due()
        elapsed = time.perf_counter() - start
        counts = app.store.delivery_counts()
        assert counts == {"published": 2 * n}, counts
        assert_chain_holds(app)
        dispatcher.close()
        app.close()
    return elapsed, base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def latency_bound(db: Databases, kind: str, n: int, processes: int, workdir: Path, latency: float = 0.1,
                  concurrency: int = 16, workers: int = 16) -> tuple[float, float]:
    """(publisher items/s with ``processes`` `run --once` processes (0: a dispatcher in this process), the plain
    loop's items/s at ``workers`` threads). ``concurrency`` is the channel's, shared by every daemon. With
    processes, the time runs from the first claim to the last outcome (interpreter start-up left out)."""
    with EmulatorServer(SlowCms(latency)) as server:
        base = n / plain_loop(lambda i: server.url, n, workers)
        server.emulator.reset()
        path = write_config({"website": server.url}, db.url(kind), workdir, concurrency=concurrency,
                            workers=workers)
        app = App.from_config(load_config(path))
        queue(app, n)
        start = time.perf_counter()
        if processes == 0:  # in this process: the dispatcher alone, no interpreter start-up
            dispatcher = Dispatcher(app)
            dispatcher.run_due()
            dispatcher.close()
        procs = [subprocess.Popen([sys.executable, "-m", "publisher", "--config", str(path), "run", "--once"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(processes)]
        for proc in procs:
            proc.wait()
        elapsed = time.perf_counter() - start
        if processes:  # from the first claim to the last outcome: the interpreters' start-up left out
            with app.store.engine.connect() as conn:
                first, last = conn.execute(text("SELECT min(first_attempt_at), max(updated_at) FROM deliveries")).one()
            elapsed = (_utc(last) - _utc(first)).total_seconds()
        counts = app.store.delivery_counts()
        calls = server.emulator.create_calls
        assert_chain_holds(app)
        app.close()
    assert counts == {"published": n}, counts
    assert calls == n, f"{calls} create calls for {n} items: something was published twice"
    return n / elapsed, base


def size(db: Databases, n: int, workdir: Path) -> tuple[float, float, float, float]:
    """(tally seconds, bare SQL scan seconds, queue-list page ms (first), page ms (deep)) over ``n`` publications."""
    path = write_config({"website": "http://127.0.0.1:9"}, db.url("sqlite"), workdir, concurrency=4)
    app = App.from_config(load_config(path))
    when = datetime(2019, 1, 1, tzinfo=timezone.utc)
    with app.store.engine.begin() as conn:
        for start in range(0, n, 20_000):
            batch = range(start, min(n, start + 20_000))
            conn.execute(sql_insert(items), [{
                "id": i + 1, "uid": uuid.uuid4().hex, "title": f"基准文章{i}", "category": "公示公告",
                "body_html": "<p>正文</p>", "summary": "", "author": "", "department": "", "created_by": "bench",
                "publish_at": when + timedelta(seconds=30 * i), "created_at": when, "status": "active",
                "review_state": "approved", "channel_options": {}, "office": "default", "revision": 1,
                "held": False, "gate_unchecked": []} for i in batch])
            conn.execute(sql_insert(deliveries), [{
                "item_id": i + 1, "channel": "website", "status": "published", "attempts": 1, "version": 2,
                "next_attempt_at": when, "idempotency_key": uuid.uuid4().hex, "checkpoint": {},
                "retract_requested": False, "updated_at": when, "external_id": str(i),
                "published_at": when + timedelta(seconds=30 * i)} for i in batch])
    year = (when + timedelta(seconds=15 * n)).year
    start = time.perf_counter()
    result = tally(app.store, app.config, year)
    tally_s = time.perf_counter() - start
    assert result["publications"] > 0, result
    start = time.perf_counter()
    with app.store.engine.connect() as conn:
        conn.execute(text("SELECT d.channel, i.category, count(*) FROM deliveries d JOIN items i ON i.id = d.item_id "
                          "WHERE d.status = 'published' GROUP BY 1, 2")).all()
    scan_s = time.perf_counter() - start
    pages = []
    for page in (1, n // 50 // 2):
        start = time.perf_counter()
        list_items(app.store.engine, app.config.tz, Filters(), page=max(1, page), per_page=50)
        pages.append((time.perf_counter() - start) * 1000)
    app.close()
    return tally_s, scan_s, pages[0], pages[1]


# -- the table --------------------------------------------------------------------------------------------------
def median_of(repeat: int, run: Callable[[], tuple]) -> tuple:
    results = [run() for _ in range(repeat)]
    return tuple(statistics.median(r[k] for r in results) for k in range(len(results[0])))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each (about a minute or two)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per case (median shown); default 3, quick 1")
    parser.add_argument("--only", default="", help="comma-separated case names: punctual,throughput,latency,"
                                                   "scale,size")
    args = parser.parse_args()
    quick = args.quick
    repeat = args.repeat or (1 if quick else 3)
    only = set(filter(None, args.only.split(",")))
    want = (lambda name: not only or name in only)
    sizes = dict(punctual=(200, 15.0) if quick else (1000, 60.0), throughput=1000 if quick else 10_000,
                 latency=320 if quick else 800, size=100_000 if quick else 1_000_000)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        db = Databases(workdir)
        try:
            if want("punctual"):
                n, window = sizes["punctual"]
                for kind in ("sqlite", "postgresql"):
                    if kind == "postgresql" and db.pg is None:
                        continue
                    late, base = median_of(repeat, lambda: punctuality(db, kind, n, window, workdir))
                    rows.append(Row(f"punctuality {kind}: {n} due over {window:g}s, lateness p99", f"{late:.2f}s",
                                    f"timer loop {base:.3f}s", None, "≤ 0.5s", late <= 0.5))
            if want("throughput"):
                n = sizes["throughput"]
                pub, base, rss = median_of(repeat, lambda: throughput(db, n, 4, workdir))
                rows.append(Row(f"throughput sqlite: {n}×2 channels, concurrency 4 each", f"{2 * n / pub:.0f}/s",
                                f"plain loop {2 * n / base:.0f}/s", base / pub, "≥ 0.8", base / pub >= 0.8))
                rows.append(Row(f"peak RSS after throughput ({n}×2; not a simulated month)", f"{rss / 1024:.0f} MB",
                                "—", None, "≤ 150 MB", rss / 1024 <= 150))
            if want("latency"):
                n = sizes["latency"]
                rate, base = median_of(repeat, lambda: latency_bound(db, "sqlite", n, 0, workdir))
                rows.append(Row(f"latency-bound sqlite: {n} items, 100 ms, concurrency 16", f"{rate:.0f}/s",
                                f"plain loop {base:.0f}/s; ideal 160/s", rate / 160, "≥ 0.9 of ideal",
                                rate / 160 >= 0.9))
            if want("scale") and db.pg is not None:
                n = sizes["latency"]
                # the channel allows more than one daemon's 16 workers (concurrency is shared by all daemons)
                one, _ = median_of(repeat, lambda: latency_bound(db, "postgresql", n, 1, workdir, concurrency=64))
                two, _ = median_of(repeat, lambda: latency_bound(db, "postgresql", 2 * n, 2, workdir,
                                                                 concurrency=64))
                rows.append(Row(f"scale-out postgresql: 2 run --once vs 1 ({n} each), 100 ms, 16 workers, conc. 64", f"{two:.0f}/s",
                                f"one daemon {one:.0f}/s", two / one, "≥ 1.8×", two / one >= 1.8))
            if want("size"):
                n = sizes["size"]
                tally_s, scan_s, first, deep = median_of(repeat, lambda: size(db, n, workdir))
                rows.append(Row(f"tally sqlite over {n:,} publications", f"{tally_s:.2f}s", f"bare SQL {scan_s:.2f}s",
                                tally_s / scan_s, "≤ 2s", tally_s <= 2))
                rows.append(Row(f"queue list page 1 over {n:,} items", f"{first:.0f}ms", "—", None, "≤ 200ms",
                                first <= 200))
                rows.append(Row(f"queue list middle page over {n:,} items", f"{deep:.0f}ms", "—", None, "≤ 200ms",
                                deep <= 200))
        finally:
            db.close()
    print(f"python bench/run.py{' --quick' if quick else ''}: median of {repeat} run(s) per case")
    header = f"| {'case':<66} | {'figure':>9} | {'baseline (same run)':<30} | {'ratio':>6} | {'goal':<15} | met |"
    print(header)
    print("|" + "|".join("-" * (len(part) + 0) for part in header.split("|")[1:-1]) + "|")
    for r in rows:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "—"
        met = {True: "yes", False: "NO", None: "—"}[r.met] + ("*" if quick and r.met is not None else "")
        print(f"| {r.case:<66} | {r.figure:>9} | {r.baseline:<30} | {ratio:>6} | {r.goal:<15} | {met:<3} |")
    if quick:
        print("* at --quick sizes; the goals are stated for the full sizes (python bench/run.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
