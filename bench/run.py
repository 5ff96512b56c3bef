"""Benchmarks of issues 13 and 28, each beside a baseline measured in the same run; prints one table.

Every channel endpoint runs in a process of its own (bench/endpoint.py: the CMS emulator, with a latency when
asked), as a real portal does, and each case's plain loop talks to the same endpoint processes as publisher.

Cases: punctuality (items due over a window, one daemon; SQLite and PostgreSQL), throughput (items × 2 channels
against a plain requests.Session loop at the same concurrency), latency-bound (a 100 ms channel at concurrency
16 against concurrency/latency), scale-out (two `publisher run --once` processes on PostgreSQL against one),
size (`publisher tally` and `report`, `queue list` and the console's queue page over a million publications in
SQLite, against a bare SQL GROUP BY) and month (the daemon's RSS over a simulated month of the reference
office's load, sampled each simulated day). Each case runs ``--repeat`` times; the table shows medians.
PostgreSQL rows are skipped when no server answers at 127.0.0.1:5432.

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
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import requests
import yaml
from sqlalchemy import create_engine, text

from publisher.ledger import audit
from publisher.runtime.app import App
from publisher.config.load import load_config
from publisher.daemon.service import Daemon
from publisher.delivery.dispatcher import Dispatcher
from publisher.ledger.listing import Filters, list_items
from publisher.items.intake import ItemRequest, insert, prepare
from publisher.report.tally import tally
from publisher.runtime import heap

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TOKEN = "sandbox-cms-token"


class Endpoint:
    """A CMS endpoint in a process of its own (bench/endpoint.py), as a real portal is: publisher and the plain loop
    both reach it over loopback, and neither shares an interpreter lock with it."""

    def __init__(self, latency: float = 0.0):
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("endpoint.py")),
                                      "--latency", str(latency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.close()
            raise RuntimeError("the bench endpoint did not start")
        self.session = requests.Session()

    def stats(self) -> dict:
        """Create calls and live articles since the last reset."""
        return self.session.get(f"{self.url}/_sandbox/stats", timeout=30).json()

    def reset(self) -> None:
        """Forget every article and counter."""
        self.session.post(f"{self.url}/_sandbox/reset", timeout=30).raise_for_status()

    def close(self) -> None:
        """Stop the endpoint's process (closing its input ends it)."""
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> "Endpoint":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
    """Queue ``n`` items; on PostgreSQL then gather the planner's statistics, as autovacuum does within a minute of
    such a batch (a schema never analysed plans the due query as if the queue held three rows)."""
    requests_ = [ItemRequest(title=f"基准文章{i}", category="公示公告", body="<p>正文</p>",
                             at=at(i).isoformat() if at else None) for i in range(n)]
    for start in range(0, n, 1000):
        insert(app, [prepare(app, r) for r in requests_[start:start + 1000]])
    if app.store.engine.dialect.name == "postgresql":
        with app.store.engine.begin() as conn:
            conn.execute(text("ANALYZE items, deliveries"))


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
    with Endpoint() as server:
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


def throughput(db: Databases, kind: str, n: int, concurrency: int, workdir: Path) -> tuple[float, float, int]:
    """(publisher seconds, plain loop seconds, peak RSS KiB) for ``n`` items × 2 channels, each channel an endpoint
    in its own process; the plain loop runs before and after publisher against the same endpoints, and its mean
    is taken."""
    with Endpoint() as a, Endpoint() as b:
        urls = {"website": a.url, "portal": b.url}
        base = plain_loop(lambda i: (a.url, b.url)[i % 2], 2 * n, 2 * concurrency)
        a.reset()
        b.reset()
        app = App.from_config(load_config(write_config(urls, db.url(kind), workdir, concurrency=concurrency,
                                                       workers=2 * concurrency)))
        queue(app, n)
        dispatcher = Dispatcher(app)
        heap.settle()  # as `publisher run` does once it has started
        start = time.perf_counter()
        dispatcher.run_due()
        elapsed = time.perf_counter() - start
        counts = app.store.delivery_counts()
        assert counts == {"published": 2 * n}, counts
        assert a.stats()["create_calls"] == n == b.stats()["create_calls"], (a.stats(), b.stats())
        assert_chain_holds(app)
        dispatcher.close()
        app.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        a.reset()
        b.reset()
        # the baseline again after the daemon, and the mean of both: a shared machine's speed drifts in a minute
        base = (base + plain_loop(lambda i: (a.url, b.url)[i % 2], 2 * n, 2 * concurrency)) / 2
    return elapsed, base, rss


def latency_bound(db: Databases, kind: str, n: int, processes: int, workdir: Path, latency: float = 0.1,
                  concurrency: int = 16, workers: int = 16) -> tuple[float, float]:
    """(publisher items/s with ``processes`` `run --once` processes (0: a dispatcher in this process), the plain
    loop's items/s at ``workers`` threads). ``concurrency`` is the channel's, shared by every daemon. With
    processes, the time runs from the first claim to the last outcome (interpreter start-up left out)."""
    with Endpoint(latency) as server:
        base = n / plain_loop(lambda i: server.url, n, workers)
        server.reset()
        path = write_config({"website": server.url}, db.url(kind), workdir, concurrency=concurrency,
                            workers=workers)
        app = App.from_config(load_config(path))
        queue(app, n)
        heap.settle()  # as `publisher run` does once it has started
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
        calls = server.stats()["create_calls"]
        assert_chain_holds(app)
        app.close()
    assert counts == {"published": n}, counts
    assert calls == n, f"{calls} create calls for {n} items: something was published twice"
    return n / elapsed, base


SIZE_CATEGORIES = ["机构概况", "政策文件", "住房保障信息", "水质检测", "公示公告", "工作动态", "招标采购", "其他"]


def fill_ledger(url: str, n: int, year: int) -> None:
    """``n`` published deliveries spread over ``year`` (a few days either side): every item on the website, every
    fourth also on WeChat; eight categories. Written with the driver: a million rows take seconds, not minutes."""
    import sqlite3

    path = url.split("///", 1)[1]
    conn = sqlite3.connect(path)
    first = datetime(year - 1, 12, 25, tzinfo=timezone.utc)
    span = (datetime(year + 1, 1, 5, tzinfo=timezone.utc) - first).total_seconds()
    n_items = n * 4 // 5
    stamp = lambda t: t.strftime("%Y-%m-%d %H:%M:%S.%f")  # noqa: E731  (how UTCDateTime stores a time)
    with conn:
        for start in range(0, n_items, 50_000):
            item_rows, delivery_rows = [], []
            for i in range(start, min(n_items, start + 50_000)):
                at = stamp(first + timedelta(seconds=span * i / n_items))
                item_rows.append((i + 1, uuid.uuid4().hex, f"基准文章{i}", SIZE_CATEGORIES[i % 8], "<p>正文</p>", "", "",
                                  "", at, at, "bench", "active", "approved", "{}", "default", 1, 0, "[]"))
                channels = ("website", "wechat") if i % 4 == 0 else ("website",)
                delivery_rows += [(i + 1, ch, "published", 1, 2, at, uuid.uuid4().hex, "{}", 0, at, str(i), at)
                                  for ch in channels]
            conn.executemany(
                "INSERT INTO items (id, uid, title, category, body_html, summary, author, department, publish_at, "
                "created_at, created_by, status, review_state, channel_options, office, revision, held, "
                "gate_unchecked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", item_rows)
            conn.executemany(
                "INSERT INTO deliveries (item_id, channel, status, attempts, version, next_attempt_at, "
                "idempotency_key, checkpoint, retract_requested, updated_at, external_id, published_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", delivery_rows)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # as a database in use is: its log checkpointed, not 1 GB
    conn.close()


def cli_seconds(path: Path, *args: str) -> float:
    """Wall seconds of one ``publisher`` command (interpreter start-up included), which must succeed."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "publisher", "--config", str(path), *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def console_page_ms(app: App, pages: tuple[int, int]) -> list[float]:
    """Milliseconds of the console's queue page (GET /items?page=N) over loopback HTTP, logged in as an editor."""
    import re

    import uvicorn

    from publisher.accounts.users import add_user
    from publisher.web import create_app

    add_user(app.store, "bench", "editor", app.config.office.code, password="bench-password-1", created_by="bench")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(app), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        session, base = requests.Session(), f"http://127.0.0.1:{port}"
        token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{base}/login").text).group(1)
        session.post(f"{base}/login", data={"name": "bench", "password": "bench-password-1", "csrf_token": token,
                                            "next": "/"}, allow_redirects=False).raise_for_status()
        out = []
        for page in pages:
            session.get(f"{base}/items", params={"page": page}).raise_for_status()  # warm: templates, caches
            start = time.perf_counter()
            r = session.get(f"{base}/items", params={"page": page})
            out.append((time.perf_counter() - start) * 1000)
            assert r.status_code == 200 and "基准文章" in r.text, r.status_code
        return out
    finally:
        server.should_exit = True
        thread.join(10)


def free_port() -> int:
    """A loopback port free at the time of asking."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def size(db: Databases, n: int, workdir: Path) -> tuple[float, ...]:
    """Over ``n`` publications in SQLite: (`publisher tally` s, `publisher report` s, the bare SQL GROUP BY s,
    `queue list` page 1 ms, middle page ms, console queue page 1 ms, middle page ms)."""
    url = db.url("sqlite")
    path = write_config({"website": "http://127.0.0.1:9", "wechat": "http://127.0.0.1:9"}, url, workdir,
                        concurrency=4)
    app = App.from_config(load_config(path))  # creates the schema at head
    fill_ledger(url, n, 2019)
    tally_s = cli_seconds(path, "tally", "--year", "2019")
    report_s = cli_seconds(path, "report", "--year", "2019", "-o", str(workdir / "report.md"))
    result = tally(app.store, app.config, 2019)
    assert result["publications"] > 0.9 * n, result
    import sqlite3

    conn = sqlite3.connect(url.split("///", 1)[1])
    start = time.perf_counter()
    conn.execute("SELECT d.channel, i.category, count(*) FROM deliveries d JOIN items i ON i.id = d.item_id "
                 "WHERE d.status = 'published' GROUP BY 1, 2").fetchall()
    scan_s = time.perf_counter() - start
    conn.close()
    middle = max(1, n * 4 // 5 // 50 // 2)
    pages = []
    for page in (1, middle):
        start = time.perf_counter()
        list_items(app.store.engine, app.config.tz, Filters(), page=page, per_page=50)
        pages.append((time.perf_counter() - start) * 1000)
    console = console_page_ms(app, (1, middle))
    app.close()
    return (tally_s, report_s, scan_s, *pages, *console)


def size_rows(n: int, figures: tuple[float, ...]) -> list[Row]:
    tally_s, report_s, scan_s, first, deep, console_first, console_deep = figures
    return [
        Row(f"publisher tally --year over {n:,} publications (sqlite)", f"{tally_s:.2f}s", f"bare SQL {scan_s:.2f}s",
            tally_s / scan_s, "≤ 2s", tally_s <= 2),
        Row(f"publisher report --year (md) over {n:,} publications", f"{report_s:.2f}s", f"bare SQL {scan_s:.2f}s",
            report_s / scan_s, "≤ 5s", report_s <= 5),
        Row(f"queue list page 1 over {n * 4 // 5:,} items", f"{first:.0f}ms", "—", None, "≤ 200ms", first <= 200),
        Row(f"queue list middle page over {n * 4 // 5:,} items", f"{deep:.0f}ms", "—", None, "≤ 200ms", deep <= 200),
        Row("console queue page 1 (HTTP, loopback)", f"{console_first:.0f}ms", "—", None, "≤ 200ms",
            console_first <= 200),
        Row("console queue middle page (HTTP, loopback)", f"{console_deep:.0f}ms", "—", None, "≤ 200ms",
            console_deep <= 200),
    ]


def vm_kib(field: str) -> int:
    """VmRSS or VmHWM of this process in KiB, from /proc/self/status."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def sqlite_kib() -> int | None:
    """What SQLite's allocator holds in this process (page caches, statements), in KiB, when libsqlite3 is shared."""
    import ctypes
    import ctypes.util

    try:
        lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        return lib.sqlite3_memory_used() // 1024
    except (OSError, AttributeError):
        return None


def month_in_this_process(workdir: str, days: int, trace: bool = False) -> None:
    """The daemon over ``days`` simulated days of the reference office's load (the demo's year, its January on):
    prints one JSON line per simulated day with VmRSS and VmHWM (KiB), then one with tracemalloc's top growth
    between the end of the first week and the end when ``trace``.

    The daemon runs its own loop in a thread; this thread plays the clock: it moves the simulated clock to the
    next due time (a delivery's or the water-quality series'), wakes the daemon and waits for its pass.
    """
    import json
    import random
    import tracemalloc

    from publisher.sandbox import demo
    from publisher.foundation.clock import SimulatedClock
    from publisher.items.imports import import_file
    from publisher.delivery.reconcile import reconcile
    from publisher.sandbox.serve import start_all
    from publisher.series.runner import SeriesRunner

    if trace:
        tracemalloc.start(1)
    folder = Path(workdir)
    year = 2019
    start = datetime(year, 1, 1, tzinfo=demo.TZ)
    end = start + timedelta(days=days)
    clock = SimulatedClock(start)
    servers = start_all(port_base=0, clock=clock)
    urls = {entry.name: server.url for entry, server in servers}
    emulators = {entry.name: server.emulator for entry, server in servers}
    doc = yaml.safe_load(demo.demo_config_text(urls))
    doc["database"] = {"url": f"sqlite:///{folder / 'month.db'}"}
    doc["storage"] = {"attachments": str(folder / "attachments")}
    doc["review"] = {"enabled": False}  # 三审 is people's work in the console; the daemon's load is the same
    (folder / "config.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    app = App.from_config(load_config(folder / "config.yaml"), clock)
    app.actor = "bench"
    plan = [r for r in demo.build_plan(year, random.Random(year)) if datetime.fromisoformat(r["at"]) < end]
    (folder / "items.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in plan) + "\n",
                                        encoding="utf-8")
    import_file(app, folder / "items.jsonl")
    emulators["cms"].faults.add("status", status=503, path="^/api/articles$", times=2)  # January, as the demo's
    emulators["cms"].faults.add("status", status=429, retry_after=300, path="^/api/articles$")
    emulators["cms"].faults.add("accept_then_drop", path="^/api/articles$")
    series = SeriesRunner(app)
    daemon = Daemon(app, dispatcher=Dispatcher(app, rng=random.Random(7)))
    runner = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
    runner.start()
    day, first_week = -1, None
    try:
        while clock.now() < end:
            series.tick()
            done = daemon.ticks
            daemon.wakeup.interrupt()  # a pass at this simulated time
            waited = time.monotonic()
            while daemon.ticks < done + 1:
                if time.monotonic() - waited > 60 or not runner.is_alive():
                    raise RuntimeError(f"the daemon made no pass at {clock.now():%Y-%m-%d %H:%M}")
                time.sleep(0.001)
            local = clock.now().astimezone(demo.TZ)
            if (local - start).days > day:
                day = (local - start).days
                if local.hour >= 3:  # the nightly reconciliation (the daemon's 03:17 job) ran before this pass
                    reconcile(app)
                for emulator in emulators.values():  # the sandbox's own request log is not the daemon's memory
                    with emulator.lock:
                        emulator.seen.clear()
                print(json.dumps({"day": day, "rss": vm_kib("VmRSS"), "hwm": vm_kib("VmHWM"),
                                  "published": app.store.delivery_counts().get("published", 0),
                                  "sqlite": sqlite_kib(), "connections": app.store.engine.pool.checkedin(),
                                  "python": tracemalloc.get_traced_memory()[0] // 1024 if trace else None}),
                      flush=True)
                if trace and day == 7:
                    first_week = tracemalloc.take_snapshot()
            due = [t for t in (daemon.dispatcher.next_due(), series.next_due()) if t is not None]
            clock.set(max(min(due + [end]), clock.now() + timedelta(seconds=1)))
    finally:
        daemon.stop()
        runner.join()
        for _, server in servers:
            server.stop()
    if trace and first_week is not None:
        diff = tracemalloc.take_snapshot().compare_to(first_week, "lineno")
        total = sum(d.size_diff for d in diff) / 1024
        top = [f"Python heap since day 7: {total:+.0f} KiB in all"] + [str(d) for d in diff[:15]]
        print(json.dumps({"trace": top}, ensure_ascii=False), flush=True)
    app.close()


def month(workdir: Path, days: int, trace: bool = False) -> tuple[float, float, float, int]:
    """(peak RSS MB, growth MB (mean of the last week minus the first), first week's mean MB, items published) of
    the daemon over ``days`` simulated days, in a process of its own (nothing else in its RSS)."""
    import json

    folder = workdir / f"month-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            f"from run import month_in_this_process; month_in_this_process({str(folder)!r}, {days}, {trace})")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    for line in lines:
        if "trace" in line:
            print("tracemalloc, the end against day 7:", *line["trace"], sep="\n  ", file=sys.stderr)
    samples = [line for line in lines if "rss" in line]
    week = max(1, min(7, len(samples) // 4))
    first = statistics.mean(s["rss"] for s in samples[:week]) / 1024
    last = statistics.mean(s["rss"] for s in samples[-week:]) / 1024
    return max(s["hwm"] for s in samples) / 1024, last - first, first, samples[-1]["published"]


def month_rows(days: int, figures: tuple[float, ...]) -> list[Row]:
    peak, growth, first, published = figures
    return [
        Row(f"daemon peak RSS, {days} simulated days of the reference office ({published:.0f} published)",
            f"{peak:.0f} MB", "—", None, "≤ 150 MB", peak <= 150),
        Row("daemon RSS growth: last week's mean against the first's", f"{growth:+.1f} MB",
            f"first week {first:.0f} MB", None, "no growth (≤ 2 MB)", growth <= 2),
    ]


# -- the table --------------------------------------------------------------------------------------------------
def median_of(repeat: int, run: Callable[[], tuple]) -> tuple:
    results = [run() for _ in range(repeat)]
    return tuple(statistics.median(r[k] for r in results) for k in range(len(results[0])))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each (about a minute or two)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per case (median shown); default 3, quick 1")
    parser.add_argument("--only", default="", help="comma-separated case names: punctual,throughput,latency,"
                                                   "scale,size,month")
    parser.add_argument("--trace-month", action="store_true", help="month: print tracemalloc's top growth")
    args = parser.parse_args()
    quick = args.quick
    repeat = args.repeat or (1 if quick else 3)
    only = set(filter(None, args.only.split(",")))
    want = (lambda name: not only or name in only)
    sizes = dict(punctual=(200, 15.0) if quick else (1000, 60.0), throughput=1000 if quick else 10_000,
                 latency=320 if quick else 800, size=100_000 if quick else 1_000_000, month=10 if quick else 31)
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
                for kind in ("sqlite", "postgresql"):
                    if kind == "postgresql" and db.pg is None:
                        continue
                    pub, base, rss = median_of(repeat, lambda: throughput(db, kind, n, 4, workdir))
                    rows.append(Row(f"throughput {kind}: {n}×2 channels, concurrency 4 each", f"{2 * n / pub:.0f}/s",
                                    f"plain loop {2 * n / base:.0f}/s", base / pub, "≥ 0.8", base / pub >= 0.8))
                rows.append(Row(f"peak RSS after throughput ({n}×2; not a simulated month)", f"{rss / 1024:.0f} MB",
                                "—", None, "≤ 150 MB", rss / 1024 <= 150))
            if want("latency"):
                n = sizes["latency"]
                rate, base = median_of(repeat, lambda: latency_bound(db, "sqlite", n, 0, workdir))
                rows.append(Row(f"latency-bound sqlite: {n} items, 100 ms, concurrency 16", f"{rate:.0f}/s",
                                f"plain loop {base:.0f}/s ({base / 160:.2f}); ideal 160/s", rate / 160, "≥ 0.95 of ideal",
                                rate / 160 >= 0.95))
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
                rows += size_rows(n, median_of(repeat, lambda: size(db, n, workdir)))
            if want("month"):
                days = sizes["month"]
                rows += month_rows(days, median_of(repeat, lambda: month(workdir, days, trace=args.trace_month)))
        finally:
            db.close()
    print(f"python bench/run.py{' --quick' if quick else ''}: median of {repeat} run(s) per case; every endpoint "
          "in a process of its own (bench/endpoint.py), the plain loops against the same processes")
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
