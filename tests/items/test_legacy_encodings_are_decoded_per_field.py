"""A GBK CSV (Excel on Chinese Windows) with a Latin-1 name typed in on another machine: each field is decoded on
its own, so 张三 stays 张三 and Müller/José stay themselves instead of mojibake; the import says which lines were
decoded how."""

from __future__ import annotations

import json

from conftest import write_config
from conftest import run_cli as _cli


def _gbk_csv_with_latin1_names(path) -> None:
    """A real mixed file: the rows in GBK, the authors of lines 3 and 4 in Latin-1 (bytes 0xFC, 0xE9 …)."""
    lines = [
        "title,category,author,body".encode("gbk"),
        "关于公布住房保障资格审核结果的公示,公示公告,张三,<p>公示内容。</p>".encode("gbk"),
        "关于外籍专家座谈会的通知,其他,".encode("gbk") + "Müller".encode("latin-1") + ",<p>座谈。</p>".encode("gbk"),
        "关于合作项目的公告,其他,".encode("gbk") + "José Ramírez".encode("latin-1") + ",<p>合作。</p>".encode("gbk"),
        "二〇一九年第二批名单,公示公告,王堃,<p>名单。</p>".encode("gbk"),
    ]
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")


def _authors(url: str) -> dict[str, str]:
    from sqlalchemy import create_engine, select

    from publisher.db.schema import items

    engine = create_engine(url)
    with engine.connect() as conn:
        found = dict(conn.execute(select(items.c.title, items.c.author)).all())
    engine.dispose()
    return found


def test_a_latin1_name_inside_a_gbk_csv_is_queued_as_written(tmp_path, sqlite_url):
    config = write_config(tmp_path, sqlite_url, {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"),
                                                          "site_url": "http://x.cn"}})
    source = tmp_path / "items.csv"
    _gbk_csv_with_latin1_names(source)
    with_text = _cli(config, "queue", "import", str(source))
    assert with_text.exit_code == 0, with_text.output
    assert "GBK: lines 2–5" in with_text.stdout and "Latin-1: lines 3–4" in with_text.stdout
    assert _authors(sqlite_url) == {"关于公布住房保障资格审核结果的公示": "张三", "关于外籍专家座谈会的通知": "Müller",
                       "关于合作项目的公告": "José Ramírez", "二〇一九年第二批名单": "王堃"}


def test_the_json_summary_names_the_lines_of_each_decoding(tmp_path, sqlite_url):
    config = write_config(tmp_path, sqlite_url, {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"),
                                                          "site_url": "http://x.cn"}})
    source = tmp_path / "items.jsonl"
    source.write_bytes(b"\n".join([
        '{"title": "关于座谈会的通知", "category": "其他", "author": "'.encode("gbk") + "Müller".encode("latin-1")
        + b'", "body": "<p>x</p>"}',
        '{"title": "关于公示的通知", "category": "其他", "author": "李四", "body": "<p>x</p>"}'.encode("gbk"),
    ]))
    shown = json.loads(_cli(config, "queue", "import", str(source), "--json").stdout)
    assert shown["count"] == 2 and shown["decoded"] == {"GBK": [1, 2], "Latin-1": [1]}


def test_an_utf8_file_is_read_as_utf8_whatever_its_fields(tmp_path, sqlite_url):
    config = write_config(tmp_path, sqlite_url, {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"),
                                                          "site_url": "http://x.cn"}})
    source = tmp_path / "items.csv"
    source.write_text("title,category,author\n全省通知,其他,José\n", encoding="utf-8")
    shown = json.loads(_cli(config, "queue", "import", str(source), "--json").stdout)
    assert "decoded" not in shown
    assert _authors(sqlite_url) == {"全省通知": "José"}


def test_the_register_reader_decodes_each_field_too(tmp_path):
    from publisher.report.registers.sheets import read_rows

    source = tmp_path / "apps.csv"
    source.write_bytes("received_on,applicant_type,applicant\r\n2019-03-01,自然人,".encode("gbk")
                       + "François Müller".encode("cp1252") + "\r\n2019-03-02,法人或者其他组织,东区水务公司\r\n".encode("gbk"))
    rows = read_rows(source)
    assert [r["applicant"] for _n, r in rows] == ["François Müller", "东区水务公司"]
    assert rows[1][1]["applicant_type"] == "法人或者其他组织"
