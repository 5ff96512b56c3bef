"""Issue 28 item 4: the JSON and CSV report and the catalogue export stream, and deadlines are cached per day.

Memory: the peak RSS of one `publisher` process writing each export over 100,000 and over 400,000 publications
in SQLite (the same ledger shape as bench/run.py's size case). Flat means the 400k figure is close to the 100k one,
not four times its growth. Time: the deadline of 5,000 open applications (the register's list and the report's
late-answer warnings compute them), in this process.

    python bench/streaming.py [--sizes 100000 400000] [--applications 5000]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import fill_ledger, write_config  # noqa: E402  (bench/run.py's ledger filler and config)

EXPORTS = {
    "report-md": ("report", "--year", "2019", "-o", "{dir}/report.md"),
    "report-json": ("report", "--year", "2019", "--format", "json", "-o", "{dir}/report.json"),
    "report-csv": ("report", "--year", "2019", "--format", "csv", "-o", "{dir}/report.csv"),
    "catalogue-csv": ("catalogue", "--year", "2019", "--format", "csv", "-o", "{dir}/catalogue.csv"),
    "catalogue-json": ("catalogue", "--year", "2019", "--format", "json", "-o", "{dir}/catalogue.json"),
}


def peak(config: Path, args: tuple[str, ...], workdir: Path) -> tuple[float, float]:
    """(peak RSS in MiB, wall seconds) of one `publisher` command, which must succeed."""
    for name in ("report.md", "report.json", "report.csv", "catalogue.csv", "catalogue.json"):
        (workdir / name).unlink(missing_ok=True)
    argv = [sys.executable, "-m", "publisher", "--config", str(config),
            *(a.format(dir=workdir) for a in args)]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.read().decode()[-2000:]}")
    return usage.ru_maxrss / 1024, elapsed


def ledger(n: int, workdir: Path) -> Path:
    """A config over a SQLite ledger of ``n`` publications of 2019 whose items carry their first publication."""
    from publisher.config.load import load_config
    from publisher.runtime.app import App

    url = f"sqlite:///{workdir}/bench.db"
    config = write_config({"website": "http://127.0.0.1:9", "wechat": "http://127.0.0.1:9"}, url, workdir,
                          concurrency=4)
    App.from_config(load_config(config)).close()  # the schema at head
    fill_ledger(url, n, 2019)
    conn = sqlite3.connect(f"{workdir}/bench.db")
    with conn:
        conn.execute("UPDATE items SET first_published_at = publish_at")
    conn.close()
    return config


def memory(sizes: list[int], names: list[str]) -> None:
    """Print each export's peak RSS and time as it is measured, then the growth from the first size to the last."""
    figures: dict[str, list[float]] = {name: [] for name in names}
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            config = ledger(n, workdir)
            for name in names:
                mib, seconds = peak(config, EXPORTS[name], workdir)
                figures[name].append(mib)
                print(f"{name:26} over {n:>9,} publications: peak RSS {mib:6.0f} MiB, {seconds:6.1f} s", flush=True)
    if len(sizes) > 1:
        for name in names:
            print(f"{name:26} growth {sizes[0]:,} → {sizes[-1]:,}: {figures[name][-1] - figures[name][0]:+.0f} MiB")


def deadlines(count: int) -> None:
    """Seconds to compute the deadline (and working days left) of ``count`` open applications, twice."""
    from publisher.foundation import workdays
    from publisher.report.registers.applications import Application, Pause

    today = date(2026, 12, 7)
    register = [Application(n, date(2026, 1, 2) + timedelta(days=n % 330), "自然人",
                            pauses=(Pause("第三方", date(2026, 1, 5) + timedelta(days=n % 330),
                                          date(2026, 1, 15) + timedelta(days=n % 330)),) if n % 3 == 0 else ())
                for n in range(count)]
    for attempt in ("first", "second"):
        start = time.perf_counter()
        rows = [a.as_dict(today) for a in register]
        late = sum(1 for a in register if a.late(today))
        elapsed = time.perf_counter() - start
        print(f"deadlines of {count:,} applications ({attempt} pass): {elapsed:.3f}s, "
              f"{elapsed / count * 1000:.3f} ms each ({len(rows)} rows, {late} late)")
    cached = getattr(workdays, "cache_info", None)
    if cached:
        print(f"  cache: {cached()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 400_000])
    parser.add_argument("--applications", type=int, default=5000)
    parser.add_argument("--only", choices=["memory", "deadlines"])
    parser.add_argument("--exports", nargs="+", choices=list(EXPORTS), default=list(EXPORTS))
    args = parser.parse_args()
    if args.only != "memory":
        deadlines(args.applications)
    if args.only != "deadlines":
        memory(args.sizes, args.exports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
