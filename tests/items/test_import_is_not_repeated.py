"""Importing the same file twice is refused unless `--again`, and rows whose key the office has are skipped:
a spreadsheet sent twice never queues its items twice."""

from __future__ import annotations

import json


from conftest import cms_block, write_config
from conftest import run_cli as _cli


def test_the_same_file_twice_is_refused_and_again_skips_known_keys(tmp_path, sqlite_url, cms_server):
    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server)})
    rows = [{"title": f"第{i}号公告", "category": "公示公告", "body": "<p>x</p>", "key": f"GK-2019-{i:03d}"}
            for i in range(1, 4)]
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert json.loads(_cli(config, "queue", "import", str(path), "--json").stdout)["count"] == 3

    again = _cli(config, "queue", "import", str(path))
    assert again.exit_code == 3 and "imported_before" in again.stderr and "items.jsonl" in again.stderr

    rows.append({"title": "第4号公告", "category": "公示公告", "body": "<p>x</p>", "key": "GK-2019-004"})
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    grown = json.loads(_cli(config, "queue", "import", str(path), "--json").stdout)  # new bytes: a new file
    assert grown["count"] == 1  # only the row whose key is new
    assert json.loads(_cli(config, "queue", "import", str(path), "--again", "--json").stdout)["count"] == 0

    taken = _cli(config, "queue", "add", "--title", "重复", "--category", "其他", "--key", "GK-2019-001")
    assert taken.exit_code == 2 and "key" in taken.stderr and "GK-2019-001" in taken.stderr
    assert len(json.loads(_cli(config, "queue", "list", "--json").stdout)) == 4


def test_a_key_repeated_inside_one_file_is_refused_naming_it(tmp_path, sqlite_url, cms_server):
    config = write_config(tmp_path, sqlite_url, {"website": cms_block(cms_server)})
    path = tmp_path / "items.csv"
    path.write_text("title,category,key\n甲,其他,K1\n乙,其他,K1\n", encoding="utf-8")
    result = _cli(config, "queue", "import", str(path))
    assert result.exit_code == 2 and "K1" in result.stderr
    assert json.loads(_cli(config, "queue", "list", "--json").stdout) == []
