"""Real-shaped office documents built in the tests: a 公示 with a 30-row table under merged header cells, a notice
with numbered items, bold/italic and a picture, a GBK-era .doc, the Word clipboard's HTML, and bombs."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

NOTICE_TITLE = "关于2019年第二批公共租赁住房保障资格审核结果的公示"
ROWS = 30
COLUMNS = 5  # 序号 | 申请人 | 家庭人口 | 人均住房面积 | 审核结果


def png(color=(200, 30, 30), size=(40, 24)) -> bytes:
    """A small PNG picture."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def merged_header_table(doc, rows: int = ROWS):
    """序号 and 审核结果 span two header rows; 家庭情况 spans three columns over 申请人 家庭人口 人均住房面积."""
    table = doc.add_table(rows=2 + rows, cols=COLUMNS)
    table.style = "Table Grid"
    table.cell(0, 0).merge(table.cell(1, 0)).text = "序号"
    table.cell(0, 1).merge(table.cell(0, 3)).text = "家庭情况"
    table.cell(0, 4).merge(table.cell(1, 4)).text = "审核结果"
    for col, text in enumerate(("申请人", "家庭人口", "人均住房面积"), 1):
        table.cell(1, col).text = text
    for r in range(rows):
        for col, text in enumerate((str(r + 1), f"申请人{r + 1:02d}", str(2 + r % 3), f"{8 + r % 5}.5㎡", "符合")):
            table.cell(2 + r, col).text = text
    return table


def table_cells(rows: int = ROWS) -> int:
    """The cells (td + th) the merged-header table has in HTML: 3 + 3 header cells, then 5 per row."""
    return 6 + COLUMNS * rows


def gongshi_docx(title: str = NOTICE_TITLE, rows: int = ROWS, picture: bool = True) -> bytes:
    """The 公示: its title as the first heading, two paragraphs, the table, a numbered list, a picture."""
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    doc.add_heading(title, level=1)
    doc.add_paragraph("根据《公共租赁住房管理办法》，现将2019年第二批申请家庭的审核结果予以公示。")
    merged_header_table(doc, rows)
    item = doc.add_paragraph(style="List Number")
    item.add_run("公示期：").bold = True
    item.add_run("2019年6月1日至6月7日").italic = True
    doc.add_paragraph("如有异议，请在公示期内向住房保障科反映。", style="List Number")
    if picture:
        doc.add_picture(io.BytesIO(png()), width=Cm(3))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def bomb_docx(paragraphs: int = 600_000, paragraph: bytes = b"<w:p/>") -> bytes:
    """A small .docx whose document.xml holds hundreds of thousands of (empty) paragraphs."""
    from docx import Document

    buf = io.BytesIO()
    Document().save(buf)
    source = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + paragraph * paragraphs, 1)
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def gbk_rtf(text: str) -> bytes:
    """An RTF file as an old Chinese Word or WPS writes it: code page 936, the text as GBK byte escapes."""
    escaped = "".join(f"\\'{b:02x}" for b in text.encode("gbk"))
    return (r"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0\fnil\fcharset134 SimSun;}}"
            "\\f0\\fs24 " + escaped + r"\par}").encode("ascii")


def soffice_convert(source: Path, to: str, workdir: Path) -> Path:
    """``source`` converted by LibreOffice (``to``: doc, docx …) into ``workdir``."""
    program = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([program, f"-env:UserInstallation={(workdir / 'profile').as_uri()}", "--headless",
                    "--convert-to", to, "--outdir", str(workdir), str(source)],
                   check=True, capture_output=True, timeout=120)
    return workdir / (source.stem + "." + to.split(":")[0])


def word_clipboard_html(picture_data_url: str) -> str:
    """What Word puts on the clipboard as text/html for a notice with a merged-header table and a picture."""
    rows = "".join(
        f"<tr style='mso-yfti-irow:{r + 2}'><td width=60 style='border:solid windowtext 1.0pt'><p class=MsoNormal>"
        f"<span lang=EN-US>{r + 1}<o:p></o:p></span></p></td><td><p class=MsoNormal><span style='font-family:宋体'>"
        f"申请人{r + 1}</span></p></td><td><p class=MsoNormal>3</p></td><td><p class=MsoNormal>9.5</p></td>"
        f"<td><p class=MsoNormal>符合</p></td></tr>" for r in range(3))
    return (
        "<html xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\" "
        "xmlns:w=\"urn:schemas-microsoft-com:office:word\"><head><meta name=Generator content=\"Microsoft Word 15\">"
        "<style><!-- p.MsoNormal {mso-style-parent:\"\"; margin:0cm; font-size:10.5pt;} --></style></head>"
        "<body lang=ZH-CN style='tab-interval:21.0pt'><!--StartFragment-->"
        "<p class=MsoNormal style='text-indent:21.0pt'><span style='font-family:仿宋_GB2312;mso-bidi-font-family:"
        "\"Times New Roman\"'>现将审核结果公示如下,请予监督.<o:p></o:p></span></p>"
        "<p class=MsoListParagraph style='mso-list:l0 level1 lfo1'><![if !supportLists]><span style='mso-list:Ignore'>"
        "1.<span style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp; </span></span><![endif]><b>公示期七天</b></p>"
        "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse;"
        "mso-yfti-tbllook:1184'>"
        "<tr style='mso-yfti-irow:0;mso-yfti-firstrow:yes'><td rowspan=2><p class=MsoNormal><b>序号</b></p></td>"
        "<td colspan=3><p class=MsoNormal align=center><b>家庭情况</b></p></td>"
        "<td rowspan=2><p class=MsoNormal><b>审核结果</b></p></td></tr>"
        "<tr style='mso-yfti-irow:1'><td><p class=MsoNormal><b>申请人</b></p></td><td><p class=MsoNormal>"
        "<b>家庭人口</b></p></td><td><p class=MsoNormal><b>人均面积</b></p></td></tr>"
        + rows +
        "</table>"
        "<p class=MsoNormal><span lang=EN-US><v:shape id=\"_x0000_i1025\" type=\"#_x0000_t75\" style='width:40pt'>"
        "<v:imagedata src=\"file:///C:/Users/ban/AppData/Local/Temp/msohtmlclip1/01/clip_image001.png\" o:title=\"\"/>"
        "</v:shape><![if !vml]><img width=40 height=24 src=\"" + picture_data_url + "\" v:shapes=\"_x0000_i1025\">"
        "<![endif]></span></p><!--EndFragment--></body></html>")


PASTED_CELLS = 3 + 3 + 5 * 3  # header row 1: 序号 家庭情况 审核结果; row 2: the three under 家庭情况; three rows of five
