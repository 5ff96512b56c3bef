"""The demo's Word report, laid out by LibreOffice as Word lays it out: Table 三 on at most 3 pages, its rows whole
and its header repeated, heading 四 with its table, the date not alone on the last page.

The demo's year takes minutes to replay; its report is the packaged configuration, the sample narrative and data
file, the 58 applications of the reference year and the reference year's 627 publications (497 on the website by
category, 121 on WeChat, 9 on the trading site), which is what this test records.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from report_support import cli

WEBSITE = {"机构概况": 2, "领导信息": 1, "人事信息": 1, "计划总结": 1, "政策文件": 18, "住房保障信息": 44,
           "水质检测": 365, "公示公告": 64, "其他": 1}
OTHERS = {"wechat": ("公示公告", 121), "trading": ("公示公告", 9)}

pytestmark = pytest.mark.skipif(not shutil.which("soffice"),
                                reason="LibreOffice is not installed (.ci/run installs libreoffice-writer-nogui)")


def _demo_office(tmp_path: Path) -> Path:
    from publisher.config.load import load_config
    from publisher.report.seed import seed_reference_applications
    from publisher.runtime.app import App

    config = tmp_path / "config.yaml"
    config.write_text(resources.files("publisher").joinpath("default_config.yaml").read_text(encoding="utf-8"),
                      encoding="utf-8")
    app = App.from_config(load_config(config))
    seed_reference_applications(app, 2019)
    app.close()
    rows = [("website", category, n) for category, count in WEBSITE.items() for n in range(count)]
    rows += [(channel, category, n) for channel, (category, count) in OTHERS.items() for n in range(count)]
    with (tmp_path / "year.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["channel", "title", "category", "published_at", "url"])
        for k, (channel, category, n) in enumerate(rows):
            day = 1 + k % 360
            writer.writerow([channel, f"{category}第{n + 1}号", category,
                             f"2019-{1 + (day - 1) // 30:02d}-{1 + (day - 1) % 28:02d}T09:00",
                             f"http://127.0.0.1:9/{channel}/{k}.html"])
    result = cli(config, "backfill", str(tmp_path / "year.csv"))
    assert result.exit_code == 0, result.output
    return config


def _pages(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text().replace(" ", "") for page in PdfReader(str(pdf)).pages]


def test_the_demos_docx_keeps_table_three_on_three_pages_in_libreoffice(tmp_path):
    config = _demo_office(tmp_path)
    docx = tmp_path / "report.docx"
    result = cli(config, "report", "--year", "2019", "-o", str(docx))
    assert result.exit_code == 0, result.output
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(docx)], check=True, capture_output=True, timeout=300)
    pages = _pages(tmp_path / "report.pdf")
    assert "我局主动公开政府信息627条" in "".join(pages).replace("\n", "")
    first = next(n for n, text in enumerate(pages) if "三、收到和处理政府信息公开申请情况" in text)
    heading_four = next(n for n, text in enumerate(pages) if "四、政府信息公开行政复议" in text)
    last_row = next(n for n, text in enumerate(pages) if "四、结转下年度继续办理" in text)
    assert last_row - first + 1 <= 3, (first, last_row, len(pages))
    for text in pages[first + 1:last_row + 1]:  # a page the table runs onto starts with its header
        assert "申请人情况" in text
    assert "结果维持" in pages[heading_four]  # heading 四 is never cut from its table
    assert len(pages) <= 7
    assert "六、其他需要报告的事项" in pages[-1] or len(pages[-1].splitlines()) > 4  # the date never stands alone
    xml = zipfile.ZipFile(docx).read("word/document.xml").decode("utf-8")
    assert xml.count("<w:tr>") + xml.count("<w:tr ") == xml.count("<w:cantSplit/>")  # no row splits
    assert xml.count("<w:tblHeader/>") >= 3  # each table's header rows repeat
