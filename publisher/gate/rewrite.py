"""De-identified copies of attachments: every personal number masked in place, everything else kept.

DOCX keeps its formatting (text is changed inside the runs); XLSX is masked inside its XML parts, so
styles, pictures and charts stay (a number cell that held an ID becomes a masked text cell); TXT/CSV/HTML
keep their encoding. Other types are not rewritten.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from lxml import etree

from publisher.gate.attachments import HTML_SUFFIXES, TEXT_SUFFIXES, XLSX_SUFFIXES, W, number_text, paragraph_pieces
from publisher.gate.htmltext import mask_body
from publisher.gate.personal import lossy_id, mask_id, mask_personal

REWRITABLE = frozenset({".docx", *XLSX_SUFFIXES, *TEXT_SUFFIXES, *HTML_SUFFIXES})


def can_rewrite(name: str) -> bool:
    return Path(name).suffix.lower() in REWRITABLE


def mask_file(source: Path, name: str, target: Path) -> int:
    """Write a masked copy of ``source`` to ``target``; return how many numbers were masked."""
    suffix = Path(name).suffix.lower()
    if suffix == ".docx":
        return _mask_docx(source, target)
    if suffix in XLSX_SUFFIXES:
        return _mask_xlsx(source, target)
    return _mask_text(source, target, html=suffix in HTML_SUFFIXES)


def _mask_text(source: Path, target: Path, *, html: bool) -> int:
    data = source.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text, encoding = data.decode("utf-8-sig" if bom else "utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("gb18030"), "gb18030"
    masked, count = mask_body(text) if html else mask_personal(text)
    target.write_bytes((b"\xef\xbb\xbf" if bom else b"") + masked.encode(encoding))
    return count


def mask_paragraph(p) -> int:
    """Mask the numbers in one ``w:p``, writing each masked character back into the run it came from."""
    pieces = paragraph_pieces(p)
    text = "".join(t for _, t in pieces)
    masked, count = mask_personal(text)
    if not count:
        return 0
    position = 0
    for element, piece in pieces:
        new = masked[position:position + len(piece)]
        position += len(piece)
        if element is not None and new != piece:
            element.text = new
    return count


def _mask_docx(source: Path, target: Path) -> int:
    import docx

    document = docx.Document(io.BytesIO(Path(source).read_bytes()))  # store blobs have no suffix
    count = 0
    parts = {id(document.part): document.part}
    for section in document.sections:
        for kind in ("header", "first_page_header", "even_page_header",
                     "footer", "first_page_footer", "even_page_footer"):
            part = getattr(section, kind)
            if not part.is_linked_to_previous:
                parts[id(part.part)] = part.part
    for part in parts.values():
        for p in part.element.iter(W + "p"):
            count += mask_paragraph(p)
    document.save(str(target))
    return count


def mask_cell_value(value):
    """A cell's value with personal numbers masked, and how many (numbers that held one become text)."""
    if isinstance(value, str):
        return mask_personal(value)
    digits, lossy = number_text(value)
    if not digits:
        return value, 0
    if lossy and lossy_id(digits):
        return mask_id(digits), 1
    masked, count = mask_personal(digits)
    return (masked, count) if count else (value, 0)


def _mask_xlsx(source: Path, target: Path) -> int:
    """Mask inside the workbook's XML (shared strings, inline strings, number cells), copying every other
    part as it is: styles, pictures, charts and macros survive."""
    count = 0
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/sharedStrings.xml" or _SHEET_PART.fullmatch(info.filename):
                data, n = _mask_spreadsheet_xml(data)
                count += n
            zout.writestr(info, data)
    return count


_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)  # an uploaded file is not trusted


def _mask_spreadsheet_xml(data: bytes) -> tuple[bytes, int]:
    root = etree.fromstring(data, _PARSER)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    q = (lambda tag: f"{{{ns}}}{tag}") if ns else (lambda tag: tag)
    count = 0
    for si in root.iter(q("si")):  # shared strings
        count += _mask_rich_text(si, q)
    for cell in root.iter(q("c")):
        kind = cell.get("t")
        if kind == "inlineStr":
            inline = cell.find(q("is"))
            count += _mask_rich_text(inline, q) if inline is not None else 0
        elif kind == "str" or kind in (None, "n"):
            value = cell.find(q("v"))
            if value is None or not value.text or cell.find(q("f")) is not None:
                continue
            if kind == "str":
                masked, n = mask_personal(value.text)
                value.text = masked
            else:
                number = int(value.text) if re.fullmatch(r"-?\d+", value.text) else _float(value.text)
                masked, n = mask_cell_value(number) if number is not None else (None, 0)
                if n:  # the number becomes a masked text cell
                    cell.remove(value)
                    cell.set("t", "inlineStr")
                    inline = etree.SubElement(cell, q("is"))
                    etree.SubElement(inline, q("t")).text = masked
            count += n
    if not count:
        return data, 0
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True), count


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _mask_rich_text(element, q) -> int:
    """Mask the text of an ``si``/``is`` element across its runs (phonetic hints left alone)."""
    nodes = [t for t in element.iter(q("t")) if t.getparent().tag != q("rPh") and t.text]
    text = "".join(t.text for t in nodes)
    masked, count = mask_personal(text)
    if count:
        position = 0
        for node in nodes:
            node.text, position = masked[position:position + len(node.text)], position + len(node.text)
    return count
