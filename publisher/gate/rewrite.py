"""De-identified copies of attachments: every personal number masked in place, everything else kept.

DOCX keeps its formatting (text is changed inside the runs); XLSX is rewritten by openpyxl (numbers that
held an ID become masked text; openpyxl drops pictures and charts, see docs/gate.md); TXT/CSV/HTML keep
their encoding. Other types are not rewritten.
"""

from __future__ import annotations

from pathlib import Path

from .attachments import HTML_SUFFIXES, TEXT_SUFFIXES, XLSX_SUFFIXES, W, number_text, paragraph_pieces
from .htmltext import mask_body
from .personal import lossy_id, mask_id, mask_personal

REWRITABLE = frozenset({".docx", *XLSX_SUFFIXES, *TEXT_SUFFIXES, *HTML_SUFFIXES})


def can_rewrite(name: str) -> bool:
    return Path(name).suffix.lower() in REWRITABLE


def mask_file(source: Path, name: str, target: Path) -> int:
    """Write a masked copy of ``source`` to ``target``; return how many numbers were masked."""
    suffix = Path(name).suffix.lower()
    if suffix == ".docx":
        return _mask_docx(source, target)
    if suffix in XLSX_SUFFIXES:
        return _mask_xlsx(source, target, keep_vba=suffix == ".xlsm")
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

    document = docx.Document(str(source))
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


def _mask_xlsx(source: Path, target: Path, *, keep_vba: bool) -> int:
    import openpyxl

    workbook = openpyxl.load_workbook(str(source), keep_vba=keep_vba)
    count = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None or cell.data_type == "f":
                    continue
                value, n = mask_cell_value(cell.value)
                if n:
                    if not isinstance(cell.value, str):
                        cell.number_format = "@"  # the masked number is text now
                    cell.value = value
                    count += n
    workbook.save(str(target))
    return count
