"""Documents that print right elsewhere: no PDF of boxes on a machine without a Chinese font, page numbers in the
outside corners (GB/T 9704)."""

from __future__ import annotations

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
