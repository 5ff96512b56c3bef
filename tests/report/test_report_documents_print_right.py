"""Documents that print right elsewhere: no PDF of boxes on a machine without a Chinese font, page numbers in the
outside corners (GB/T 9704)."""

from __future__ import annotations

from pathlib import Path

from report_support import backfill, cli, office

EMPTY_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{dir}</dir><cachedir>{dir}/cache</cachedir></fontconfig>
"""


def test_a_pdf_without_a_chinese_font_is_refused_naming_the_problem(tmp_path, sqlite_url):
    config = office(tmp_path, sqlite_url)
    backfill(config, tmp_path)
    fonts = tmp_path / "no-fonts"
    fonts.mkdir()
    (tmp_path / "fonts.conf").write_text(EMPTY_FONTCONFIG.format(dir=fonts), encoding="utf-8")
    result = cli(config, "report", "--year", "2019", "-o", str(tmp_path / "r.pdf"),
                 env={"FONTCONFIG_FILE": str(tmp_path / "fonts.conf"), "PUBLISHER_LANG": "en"})
    assert result.exit_code == 2 and "no Chinese font is installed" in result.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_a_machine_with_only_latin_fonts_is_refused_too(tmp_path, sqlite_url):
    import pytest

    latin = Path("/usr/share/fonts/truetype/dejavu")
    if not latin.is_dir():
        pytest.skip("fonts-dejavu-core is not installed")
    config = office(tmp_path, sqlite_url)
    backfill(config, tmp_path)
    (tmp_path / "fonts.conf").write_text(EMPTY_FONTCONFIG.format(dir=latin).replace(
        f"<cachedir>{latin}/cache</cachedir>", f"<cachedir>{tmp_path}/cache</cachedir>"), encoding="utf-8")
    result = cli(config, "report", "--year", "2019", "-o", str(tmp_path / "r.pdf"),
                 env={"FONTCONFIG_FILE": str(tmp_path / "fonts.conf"), "PUBLISHER_LANG": "en"})
    assert result.exit_code == 2 and "no Chinese font is installed" in result.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_the_pdf_embeds_every_font_it_uses_and_prints_chinese_with_one(tmp_path, sqlite_url):
    """pdffonts (poppler-utils) lists each font of the PDF: all embedded, a CJK one among them."""
    import shutil
    import subprocess

    import pytest

    if not shutil.which("pdffonts"):
        pytest.skip("poppler-utils is not installed")
    config = office(tmp_path, sqlite_url)
    backfill(config, tmp_path)
    assert cli(config, "report", "--year", "2019", "-o", str(tmp_path / "r.pdf")).exit_code == 0
    listing = subprocess.run(["pdffonts", str(tmp_path / "r.pdf")], capture_output=True, text=True, check=True,
                             timeout=60).stdout.splitlines()
    header = listing[0]
    emb = header.index("emb")
    fonts = [(line.split()[0], line[emb:emb + 3]) for line in listing[2:] if line.strip()]
    assert fonts and all(embedded == "yes" for _name, embedded in fonts), fonts
    assert any("CJK" in name for name, _embedded in fonts), fonts
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    assert "政府信息公开工作年度报告" in text.replace(" ", "").replace("\n", "")


def test_page_numbers_sit_in_the_outside_corners(tmp_path, sqlite_url):
    from io import BytesIO

    from pypdf import PdfReader

    config = office(tmp_path, sqlite_url)
    backfill(config, tmp_path)
    assert cli(config, "report", "--year", "2019", "-o", str(tmp_path / "r.pdf")).exit_code == 0
    reader = PdfReader(BytesIO((tmp_path / "r.pdf").read_bytes()))
    for number, page in enumerate(reader.pages[:2], 1):
        found = []
        page.extract_text(visitor_text=lambda text, cm, tm, fd, fs: found.append((text, tm[4])) if "—" in text else None)
        [(text, x)] = [(t, x) for t, x in found if t.strip().startswith("—")]
        width = float(page.mediabox.width)
        assert (x > width / 2) if number % 2 else (x < width / 2), (number, text, x)


def _pages(pdf) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text().replace(" ", "") for page in PdfReader(str(pdf)).pages]


def test_libreoffice_lays_the_docx_out_as_word_does(tmp_path, sqlite_url):
    """Table 三 on at most 3 pages, its rows whole and its header repeated; 28 characters a line."""
    import shutil
    import subprocess

    import pytest

    if not shutil.which("soffice"):
        pytest.skip("LibreOffice is not installed (.ci/run installs libreoffice-writer-nogui)")
    config = office(tmp_path, sqlite_url)
    backfill(config, tmp_path)
    assert cli(config, "report", "--year", "2019", "--template", "2021", "-o", str(tmp_path / "r.docx")).exit_code == 0
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "r.docx")], check=True, capture_output=True, timeout=300)
    pages = _pages(tmp_path / "r.pdf")
    first = next(n for n, text in enumerate(pages) if "三、收到和处理政府信息公开申请情况" in text)
    last = next(n for n, text in enumerate(pages) if "四、政府信息公开行政复议" in text)
    assert last - first + 1 <= 3, (first, last, len(pages))
    assert len(pages) <= 6
    for text in pages[first + 1:last + 1]:  # every page the table runs onto starts with its header
        assert "申请人情况" in text
    lines = [x for text in pages for x in text.splitlines()]
    chinese = [x for x in lines if all("\u4e00" <= ch <= "\u9fff" or ch in "，。、《》（）：；" for ch in x)]
    assert max(map(len, chinese)) == 28  # GB/T 9704: 28 characters a line


def test_the_json_report_streams_its_appendix_and_matches_the_whole_document(tmp_path, sqlite_url):
    import json

    from publisher.config.load import load_config
    from publisher.report import ledger
    from publisher.report.build import build_report
    from publisher.report.render import render
    from publisher.runtime.app import App

    config = office(tmp_path, sqlite_url)
    backfill(config, tmp_path)
    streamed = cli(config, "report", "--year", "2019", "--format", "json")
    assert streamed.exit_code == 0, streamed.output
    app = App.from_config(load_config(config))
    whole = json.loads(render(build_report(app.store, app.config, 2019), "json"))
    got = json.loads(streamed.stdout)
    assert got["appendix"] == whole["appendix"] and len(got["appendix"]) == 7
    assert {k: v for k, v in got.items() if k != "appendix"} == {k: v for k, v in whole.items() if k != "appendix"}
    rows = ledger.iter_publications(app.store, app.config, 2019)
    assert not isinstance(rows, list) and next(rows)["title"]  # a cursor, one row at a time
    rows.close()
    app.close()
