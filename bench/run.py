"""Benchmarks: publisher's dispatch against a baseline measured in the same run.

Baseline: posting the same N articles straight to the CMS emulator with one requests.Session (no queue, no ledger).
Measured: queueing N items and publishing them through the dispatcher (SQLite; PostgreSQL with one and two
dispatchers in one process, and with one and two `publisher run --once` processes, when a server is reachable;
process rows include interpreter start-up). Printed as seconds and as a ratio to the baseline.

    python bench/run.py [--items 300]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests
import yaml
from sqlalchemy import create_engine, text

from publisher.app import App
from publisher.clock import SimulatedClock
from publisher.config import load_config
from publisher.dispatcher import Dispatcher
from publisher.queue import ItemRequest, insert, prepare
from publisher.sandbox.cms import CmsEmulator
from publisher.sandbox.server import EmulatorServer

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def baseline(url: str, n: int) -> float:
    session = requests.Session()
    start = time.perf_counter()
    for i in range(n):
        r = session.post(f"{url}/api/articles", json={
            "title": f"基准文章{i}", "content": "<p>正文</p>", "column": "公示公告",
            "publish_time": "2019-06-01T10:00:00+08:00"},
            headers={"Authorization": "Bearer sandbox-cms-token", "Idempotency-Key": uuid.uuid4().hex})
        r.raise_for_status()
    return time.perf_counter() - start


def write_config(url: str, db_url: str, workdir: Path) -> Path:
    """A one-channel config (the CMS emulator) over ``db_url``."""
    doc = {
        "office": {"name": "基准局", "short_name": "我局"},
        "database": {"url": db_url},
        "storage": {"attachments": str(workdir / "att")},
        "categories": ["公示公告"],
        "channels": {"website": {"type": "cms", "base_url": url, "auth_token": "sandbox-cms-token", "concurrency": 4}},
        "routing": {"default": ["website"]},
    }
    path = workdir / f"bench-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def through_publisher(url: str, db_url: str, n: int, dispatchers: int, workdir: Path) -> float:
    path = write_config(url, db_url, workdir)
    clock = SimulatedClock(datetime(2019, 6, 1, 2, tzinfo=timezone.utc))
    apps = [App.from_config(load_config(path), clock) for _ in range(dispatchers)]
    start = time.perf_counter()
    insert(apps[0], [prepare(apps[0], ItemRequest(title=f"基准文章{i}", category="公示公告", body="<p>正文</p>"))
                     for i in range(n)])
    runners = [Dispatcher(app, worker_id=f"bench-{k}") for k, app in enumerate(apps)]
    threads = [threading.Thread(target=r.run_due) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    counts = apps[0].store.delivery_counts()
    assert counts == {"published": n}, counts
    for r, app in zip(runners, apps):
        r.close()
        app.close()
    return elapsed


def through_processes(url: str, db_url: str, n: int, processes: int, workdir: Path) -> float:
    """Queue n items, then time `publisher run --once` in several processes at once (real multi-daemon)."""
    import subprocess

    path = write_config(url, db_url, workdir)
    app = App.from_config(load_config(path))
    insert(app, [prepare(app, ItemRequest(title=f"基准文章{i}", category="公示公告", body="<p>正文</p>"))
                 for i in range(n)])
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "publisher", "--config", str(path), "run", "--once"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(processes)]
    for proc in procs:
        proc.wait()
    elapsed = time.perf_counter() - start
    counts = app.store.delivery_counts()
    app.close()
    assert counts == {"published": n}, counts
    return elapsed


def pg_schema() -> str | None:
    try:
        engine = create_engine(PG, isolation_level="AUTOCOMMIT")
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with engine.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        return schema
    except Exception:
        return None


def drop_schema(schema: str) -> None:
    engine = create_engine(PG, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    args = parser.parse_args()
    n = args.items
    rows = []
    with EmulatorServer(CmsEmulator()) as server, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        base = baseline(server.url, n)
        server.emulator.reset()
        rows.append(("baseline: direct POSTs, one session", base))
        rows.append(("publisher, SQLite, 1 dispatcher", through_publisher(server.url, f"sqlite:///{workdir}/b.db", n, 1, workdir)))
        server.emulator.reset()
        cases = [(f"publisher, PostgreSQL, {k} dispatcher(s) in-process", through_publisher, k) for k in (1, 2)]
        cases += [(f"publisher, PostgreSQL, {k} process(es) run --once", through_processes, k) for k in (1, 2)]
        for name, runner, count in cases:
            schema = pg_schema()
            if schema is None:
                print("PostgreSQL not reachable: skipping its rows", file=sys.stderr)
                break
            try:
                url = f"{PG}?options=-csearch_path%3D{schema}"
                rows.append((name, runner(server.url, url, n, count, workdir)))
            finally:
                drop_schema(schema)
            server.emulator.reset()
    print(f"{n} articles to the CMS emulator on loopback")
    print(f"{'case':<50} {'seconds':>8} {'per item':>9} {'× baseline':>11}")
    for name, seconds in rows:
        print(f"{name:<50} {seconds:>8.2f} {seconds / n * 1000:>7.1f}ms {seconds / base:>10.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
