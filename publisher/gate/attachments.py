"""Read the text of an attachment for the gate, unit by unit, each with its place.

DOCX: body paragraphs, table cells, text boxes, headers and footers (tracked deletions included: they are
still in the file). XLSX: every cell of every sheet, numbers too (an ID number stored as a number). PDF: the
text layer, page by page. TXT/CSV/HTML: lines. Anything else, and files past a limit, come back with a
``problem`` saying why they are not (fully) checked.
"""

from __future__ import annotations

import io

import re
from dataclasses import dataclass, field
from pathlib import Path

from publisher.foundation.content import decode_text
from publisher.foundation.office_files import DocumentLimits, office_zip_problem
from publisher.errors import InputError
from publisher.foundation.i18n import N_
from publisher.gate.htmltext import body_text
from publisher.gate.settings import GateLimits

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic", ".svg"})
TEXT_SUFFIXES = frozenset({".txt", ".csv", ".tsv"})
HTML_SUFFIXES = frozenset({".htm", ".html"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
TEXT_BOX = W + "txbxContent"


@dataclass(frozen=True)
class Unit:
    """A piece of attachment text: ``place`` (None for a plain text file) and whether to count lines in it."""

    place: str | None
    text: str
    lines: bool = True
    lossy_number: bool = False  # a spreadsheet number too long for a float: its last digits are gone


@dataclass
class Extract:
    units: list[Unit] = field(default_factory=list)
    problem: str | None = None  # why the attachment is not (fully) checked


class _Budget:
    def __init__(self, limits: GateLimits):
        self.limits = limits
        self.chars = 0

    def take(self, text: str) -> bool:
        self.chars += len(text)
        return self.chars <= self.limits.max_chars


def extract(path: Path, name: str, limits: GateLimits | None = None) -> Extract:
    """The text units of one attachment (never raises for a bad file: it becomes the ``problem``)."""
    limits = limits or GateLimits()
    suffix = Path(name).suffix.lower() or path.suffix.lower()
    try:
        size = path.stat().st_size
    except OSError as exc:
        return Extract(problem=N_("cannot be read: {reason}").format(reason=exc.strerror))
    if suffix in IMAGE_SUFFIXES:
        return Extract(problem=N_("an image: no text to check"))
    if size > limits.max_bytes:
        return Extract(problem=N_("larger than {limit} bytes: not opened").format(limit=limits.max_bytes))
    reader = {".docx": _docx, ".pdf": _pdf, **{s: _xlsx for s in XLSX_SUFFIXES},
              **{s: _text for s in TEXT_SUFFIXES}, **{s: _html for s in HTML_SUFFIXES}}.get(suffix)
    if reader is None:
        return Extract(problem=N_("a {suffix} file: type not checked").format(suffix=suffix) if suffix
                       else N_("a file without extension: type not checked"))
    if reader in (_docx, _xlsx):
        problem = office_zip_problem(path, DocumentLimits())
        if problem:
            return Extract(problem=N_("not opened: {reason}").format(reason=problem))
    try:
        return reader(path, _Budget(limits))
    except InputError as exc:
        return Extract(problem=N_("cannot be read: {reason}").format(reason=exc))
    except Exception as exc:  # noqa: BLE001 — a corrupt file of any library's making is "not checked", not a crash
        return Extract(problem=N_("cannot be read as {format}: {error}").format(format=suffix[1:].upper(), error=type(exc).__name__))


def _truncated(units: list[Unit], what: str) -> Extract:
    return Extract(units, problem=N_("partly checked: {what}").format(what=what))


def _text(path: Path, budget: _Budget) -> Extract:
    text = decode_text(path.read_bytes(), source=path.name)
    if not budget.take(text):
        return _truncated([Unit(None, text[:budget.limits.max_chars])],
                          N_("the first {limit} characters of {total}").format(limit=budget.limits.max_chars,
                                                                                total=len(text)))
    return Extract([Unit(None, text)])


def _html(path: Path, budget: _Budget) -> Extract:
    text = body_text(decode_text(path.read_bytes(), source=path.name)).text
    if not budget.take(text):
        return _truncated([Unit(None, text[:budget.limits.max_chars])],
                          N_("the first {limit} characters of {total}").format(limit=budget.limits.max_chars,
                                                                                total=len(text)))
    return Extract([Unit(None, text)])


# -- DOCX ------------------------------------------------------------------------------------------

def paragraph_pieces(p) -> list[tuple[object | None, str]]:
    """The text of one ``w:p`` as pieces: (element holding it, text), separators with element None.

    Text boxes anchored in the paragraph are their own paragraphs and are left out. Tracked deletions come
    last, each on a line of its own: they are still in the file, and must not lengthen a number around them.
    """
    pieces: list[tuple[object | None, str]] = []
    deleted: list[tuple[object | None, str]] = []

    def walk(el) -> None:
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == TEXT_BOX or tag == W + "p":
                continue
            if tag == W + "t" and child.text:
                pieces.append((child, child.text))
            elif tag == W + "delText" and child.text:
                deleted.extend([(None, "\n"), (child, child.text)])
            elif tag == W + "tab":
                pieces.append((None, "\t"))
            elif tag in (W + "br", W + "cr"):
                pieces.append((None, "\n"))
            elif tag == W + "noBreakHyphen":
                pieces.append((None, "-"))
            else:
                walk(child)

    walk(p)
    return pieces + deleted


def paragraph_text(p) -> str:
    return "".join(text for _, text in paragraph_pieces(p))


def _docx(path: Path, budget: _Budget) -> Extract:
    import docx

    document = docx.Document(io.BytesIO(Path(path).read_bytes()))  # store blobs have no suffix
    reader = _DocxReader(budget)
    if not (reader.body(document.element.body) and reader.headers_and_footers(document)):
        return _truncated(reader.units, N_("the first {limit} characters").format(limit=budget.limits.max_chars))
    return Extract(reader.units)


class _DocxReader:
    """A Word document's text in reading order, one unit per paragraph, cell, text box, header or footer line;
    every method answers False once the budget is spent."""

    def __init__(self, budget: _Budget):
        self.budget = budget
        self.units: list[Unit] = []
        self.counters = {"paragraph": 0, "table": 0}

    def add(self, place: str, text: str) -> bool:
        """Keep ``text`` (when not blank) as the unit at ``place``."""
        if text.strip():
            self.units.append(Unit(place, text, lines=False))
        return self.budget.take(text)

    def boxes(self, el, place: str) -> bool:
        """The text boxes anchored in ``el``."""
        for n, box in enumerate(_iter_skipping_fallback(el, TEXT_BOX), 1):
            text = "\n".join(paragraph_text(p) for p in _iter_skipping_fallback(box, W + "p"))
            if not self.add(N_("{place}, in text box {number}").format(place=place, number=n), text):
                return False
        return True

    def body(self, container, prefix: str = "") -> bool:
        """Paragraphs and tables of the body (or of a content control inside it), numbered in order."""
        for child in container:
            if child.tag == W + "p":
                self.counters["paragraph"] += 1
                place = prefix + N_("paragraph {number}").format(number=self.counters["paragraph"])
                if not self.add(place, paragraph_text(child)) or not self.boxes(child, place):
                    return False
            elif child.tag == W + "tbl":
                self.counters["table"] += 1
                if not self.table(child, prefix + N_("table {number}").format(number=self.counters["table"])):
                    return False
            elif child.tag in (W + "sdt", W + "sdtContent", W + "customXml"):
                if not self.body(child, prefix):
                    return False
        return True

    def table(self, tbl, place: str) -> bool:
        """Every cell of a table, row by row."""
        for r, tr in enumerate(_children(tbl, W + "tr"), 1):
            for c, tc in enumerate(_children(tr, W + "tc"), 1):
                paragraphs = [p for p in _iter_skipping_fallback(tc, W + "p") if not _in_text_box(p, tc)]
                cell = N_("{place} row {row} cell {cell}").format(place=place, row=r, cell=c)
                if not self.add(cell, "\n".join(paragraph_text(p) for p in paragraphs)):
                    return False
                if not self.boxes(tc, cell):
                    return False
        return True

    def headers_and_footers(self, document) -> bool:
        """Each distinct header and footer of every section."""
        complete = True
        seen: set[str] = set()
        for section in document.sections:
            for kind in ("header", "first_page_header", "even_page_header",
                         "footer", "first_page_footer", "even_page_footer"):
                part = getattr(section, kind)
                if part.is_linked_to_previous or str(part.part.partname) in seen:
                    continue
                seen.add(str(part.part.partname))
                template = N_("header paragraph {number}") if "header" in kind else N_("footer paragraph {number}")
                for n, p in enumerate(_iter_skipping_fallback(part._element, W + "p"), 1):
                    if not self.add(template.format(number=n), paragraph_text(p)):
                        complete = False
                        break
        return complete


def _children(el, tag: str):
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in (W + "sdt", W + "sdtContent", W + "customXml"):
            yield from _children(child, tag)


def _iter_skipping_fallback(el, tag: str):
    for child in el:
        if not isinstance(child.tag, str) or child.tag == MC_FALLBACK:
            continue
        if child.tag == tag:
            yield child
        else:
            yield from _iter_skipping_fallback(child, tag)


def _in_text_box(p, stop) -> bool:
    parent = p.getparent()
    while parent is not None and parent is not stop:
        if parent.tag == TEXT_BOX:
            return True
        parent = parent.getparent()
    return False


# -- XLSX ------------------------------------------------------------------------------------------

def number_text(value) -> tuple[str | None, bool]:
    """The digits of a numeric cell worth checking (10+ digits), and whether a float lost some of them."""
    if isinstance(value, bool):
        return None, False
    if isinstance(value, int):
        digits = str(abs(value))
        return (digits, False) if len(digits) >= 10 else (None, False)
    if isinstance(value, float) and value == value and abs(value) < 1e20 and value.is_integer():
        digits = f"{abs(value):.0f}"
        return (digits, len(digits) > 15) if len(digits) >= 10 else (None, False)
    return None, False


def _xlsx(path: Path, budget: _Budget) -> Extract:
    """Every cell of every sheet (hidden ones too): the formula and its cached result, and the cell comments; a
    formula without a cached result is read from its literals and leaves the file partly checked."""
    import openpyxl

    data = Path(path).read_bytes()
    formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    reader = _SheetReader(budget)
    for sheet in (*formulas.worksheets, *values.worksheets):
        sheet.reset_dimensions()  # iterate the cells the file holds, not the range it declares (A1:XFD1048576)
    try:
        for sheet, cached in zip(formulas.worksheets, values.worksheets):
            for row, cached_row in zip(sheet.iter_rows(), _padded(cached.iter_rows())):
                for cell, cached_cell in zip(row, _padded(cached_row)):
                    if not reader.cell(sheet.title, cell, getattr(cached_cell, "value", None)):
                        return _truncated(reader.units, N_("up to cell {cell} of sheet {sheet}").format(
                            cell=cell.coordinate, sheet=sheet.title))
    finally:
        formulas.close()
        values.close()
    reader.units += _xlsx_comments(data)
    return Extract(reader.units, problem=reader.problem)


def _padded(rows):
    yield from rows
    while True:
        yield ()


_LITERAL = re.compile(r'"((?:[^"]|"")*)"')


class _SheetReader:
    def __init__(self, budget: _Budget):
        self.budget = budget
        self.units: list[Unit] = []
        self.cells = 0
        self.problem: str | None = None

    def cell(self, sheet: str, cell, cached) -> bool:
        """Read one cell; False when a limit is reached."""
        value = getattr(cell, "value", None)
        if value is None:
            return True
        self.cells += 1
        place = N_("sheet {sheet} cell {cell}").format(sheet=sheet, cell=cell.coordinate)
        ok = True
        for text in self._texts(value, cached, place):
            self.units.append(Unit(place, text, lines=False))
            ok = self.budget.take(text) and ok
        if not isinstance(value, str):
            digits, lossy = number_text(value)
            if digits:
                self.units.append(Unit(place, digits, lines=False, lossy_number=lossy))
        return ok and self.cells < self.budget.limits.max_cells

    def _texts(self, value, cached, place: str) -> list[str]:
        if not isinstance(value, str):
            return []
        if not value.startswith("="):
            return [value]
        texts = [value, "".join(m.group(1).replace('""', '"') for m in _LITERAL.finditer(value))]
        if isinstance(cached, str):
            texts.append(cached)
        elif cached is not None:
            texts.append(number_text(cached)[0] or "")
        elif self.problem is None:
            self.problem = N_("partly checked: a formula without a saved result ({place})").format(place=place)
        return [t for t in texts if t]


def _xlsx_comments(data: bytes) -> list[Unit]:
    """The text of every cell comment (notes and threaded comments), placed by the cell they are on."""
    import zipfile
    from xml.etree import ElementTree

    units = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not re.fullmatch(r"xl/(comments\w*|comments/\w+|threadedComments/\w+)\.xml", name):
                continue
            root = ElementTree.fromstring(archive.read(name)[:5_000_000])
            for comment in root.iter():
                ref = comment.get("ref")
                if ref and comment.tag.endswith(("}comment", "}threadedComment")):
                    text = "".join(t.text or "" for t in comment.iter() if t.tag.endswith(("}t", "}text")))
                    units.append(Unit(N_("comment on cell {cell}").format(cell=ref), text, lines=False))
    return units


# -- PDF -------------------------------------------------------------------------------------------

def _pdf(path: Path, budget: _Budget) -> Extract:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(Path(path).read_bytes()))
    if reader.is_encrypted and not reader.decrypt(""):
        return Extract(problem=N_("an encrypted PDF: not checked"))
    units: list[Unit] = []
    without_text: list[int] = []
    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, 1):
        if number > budget.limits.max_pages:
            return _truncated(units, N_("the first {limit} pages of {total}").format(limit=budget.limits.max_pages,
                                                                                       total=pages))
        text = page.extract_text() or ""
        if text.strip():
            units.append(Unit(N_("page {number}").format(number=number), re.sub(r"\r\n?", "\n", text)))
            if not budget.take(text):
                return _truncated(units, N_("the first {number} pages of {total} (text limit)").format(
                    number=number, total=pages))
        elif _has_images(page):
            without_text.append(number)
    if not units:
        return Extract(problem=N_("no text layer (a scanned PDF?): not checked"))
    if without_text:
        listed = ", ".join(map(str, without_text[:10])) + ("…" if len(without_text) > 10 else "")
        return _truncated(units, N_("page {pages} has no text layer").format(pages=listed))
    return Extract(units)


def _has_images(page) -> bool:
    """A page without text that draws any XObject (a scanned picture, or a form that may hold one)."""
    try:
        resources = page.get("/Resources") or {}
        return bool(resources.get_object().get("/XObject"))
    except Exception:  # noqa: BLE001 — a damaged resource dictionary: assume the page may hold a picture
        return True
