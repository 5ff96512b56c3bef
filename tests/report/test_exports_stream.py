"""The JSON and CSV report and the catalogue export are written as the ledger is read, a publication at a time: the
first bytes go out before the last row is read, and what is written is the whole document (CLI, API and the renderers
agree). bench/streaming.py measures the memory this keeps flat."""

from __future__ import annotations

import csv
import io
import json

from report_support import backfill, cli, office


class Rows:
    """An iterator of publications that counts how many were read."""

    def __init__(self, rows):
        self.rows, self.read = list(rows), 0

    def __iter__(self):
        for r in self.rows:
            self.read += 1
            yield r


def _publication(n: int) -> dict:
    from datetime import datetime, timezone

    return {"item_id": n, "title": f"公告{n}", "category": "公示公告", "channel": "website", "display_name": "网站",
            "counted": True, "published_at": datetime(2019, 5, 1, 2, 0, tzinfo=timezone.utc), "url": "", "imported": False}


def test_the_report_appendix_is_written_before_the_last_publication_is_read():
    from publisher.report.render import appendix_chunks

    for fmt in ("json", "csv"):
        rows = Rows(_publication(n) for n in range(1000))
        chunks = appendix_chunks({"year": 2019, "title": "报告"}, rows, fmt)
        written = []
        for chunk in chunks:
            written.append(chunk)
            if "公告0" in chunk:
                break
        assert rows.read == 1, fmt  # one row read, one row out
        text = "".join(written) + "".join(chunks)
        assert rows.read == 1000
        listed = json.loads(text)["appendix"] if fmt == "json" else list(csv.reader(io.StringIO(text)))[1:]
        assert len(listed) == 1000


def test_the_catalogue_is_written_before_the_last_record_is_read():
    from publisher.report.catalogue import COLUMNS, write_catalogue

    class Out(io.BytesIO):
        def __init__(self, rows):
            super().__init__()
            self.rows, self.read_at_first_record = rows, None

        def write(self, data):
            if self.read_at_first_record is None and "记录0".encode() in data:
                self.read_at_first_record = self.rows.read
            return super().write(data)

    for fmt in ("csv", "json"):
        rows = Rows({**{c.key: "" for c in COLUMNS}, "title": f"记录{n}"} for n in range(500))
        out = Out(rows)
        assert write_catalogue(iter(rows), fmt, out) == 500
        assert out.read_at_first_record == 1, fmt


def test_the_streamed_json_and_csv_are_the_whole_report_from_the_cli_and_the_api(tmp_path, sqlite_url, monkeypatch):
    from fastapi.testclient import TestClient

    from console_helpers import add_staff, cheap_hashing, login
    from publisher.config.load import load_config
    from publisher.report.build import build_report
    from publisher.report.render import render
    from publisher.runtime.app import App
    from publisher.web import create_app

    config = office(tmp_path, sqlite_url)
    backfill(config, tmp_path)
    to_file = cli(config, "report", "--year", "2019", "--format", "csv", "-o", str(tmp_path / "r.csv"))
    assert to_file.exit_code == 0, to_file.output
    assert not (tmp_path / "r.csv.part").exists() and (tmp_path / "r.csv").stat().st_mode & 0o077 == 0
    to_stdout = cli(config, "report", "--year", "2019", "--format", "csv")
    app = App.from_config(load_config(config))
    whole = build_report(app.store, app.config, 2019)
    expected_csv = render(whole, "csv")
    assert (tmp_path / "r.csv").read_bytes() == expected_csv == to_stdout.stdout_bytes
    assert len(expected_csv.decode("utf-8").splitlines()) == 1 + 7
    cheap_hashing(monkeypatch)
    add_staff(app)
    client = TestClient(create_app(app))
    login(client, "editor1")
    got = client.get("/api/reports/2019?format=csv")
    assert got.status_code == 200 and got.content == expected_csv
    got = client.get("/api/reports/2019?format=json").json()
    assert got["appendix"] == whole["appendix"] and got["tables"] == whole["tables"]
    app.close()
