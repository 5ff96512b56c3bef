"""Tables in legacy encodings, decoded field by field: a GBK export may carry a Latin-1 name (Müller, José) typed in
on another machine, and one decoding for the whole file would turn it into mojibake.

Every run of bytes between the ASCII separators of CSV and JSON (comma, quote, tab, semicolon, line ends) is decoded
on its own: UTF-8 when that is valid and reads as text, GBK/GB18030 when it reads as Chinese, else Windows-1252
(Latin-1) when it has the shape of European words. Separators are ASCII and never the second byte of a GBK
character, so the table's structure is kept byte for byte.
"""

from __future__ import annotations

import re

from publisher.foundation.content import decode_text, looks_chinese
from publisher.foundation.i18n import _

UTF8, GBK, LATIN1 = "UTF-8", "GBK", "Latin-1"
_SEPARATORS = re.compile(rb'[,"\t;\r\n]+')
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_UTF8_TEXT = re.compile(r"[\u00a0-\u017f\u2000-\u206f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def decode_table(data: bytes, *, source: str, encoding: str | None = None) -> tuple[str, dict[str, list[int]]]:
    """The text of a CSV or JSON Lines file, and {decoding: line numbers} for the lines that needed one (only when
    the file is not UTF-8 as a whole and no ``encoding`` was named: then every field is decoded on its own)."""
    if encoding or _whole_file_reads(data):
        return decode_text(data, source=source, encoding=encoding), {}
    out, lines = [], {}
    start, line = 0, 1
    for sep in _SEPARATORS.finditer(data):
        if sep.start() > start:
            out.append(_field(data[start:sep.start()], line, lines))
        out.append(sep.group().decode("ascii"))
        line += sep.group().count(b"\n")
        start = sep.end()
    if start < len(data):
        out.append(_field(data[start:], line, lines))
    return "".join(out), {how: sorted(numbers) for how, numbers in lines.items()}


def _whole_file_reads(data: bytes) -> bool:
    """UTF-8 throughout, or what decode_text judges on its own (a UTF-16 byte-order mark, NUL bytes)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _field(raw: bytes, line: int, lines: dict[str, set[int]]) -> str:
    text, how = decode_field(raw)
    if how:
        lines.setdefault(how, set()).add(line)
    return text


def decode_field(raw: bytes) -> tuple[str, str | None]:
    """One field's text and how it was decoded (None: plain ASCII); words are decoded one by one when the field
    as a whole reads as neither Chinese nor European words."""
    if raw.isascii():
        return raw.decode("ascii"), None
    utf8, gbk, latin = _try(raw, "utf-8"), _try(raw, "gb18030"), _try(raw, "cp1252") or raw.decode("latin-1")
    gbk_ok = gbk is not None and _all_cjk(gbk)
    chinese = gbk_ok and looks_chinese(gbk)
    if utf8 is not None and _utf8_plausible(utf8) and (_CJK.search(utf8) or _european(utf8) or not chinese):
        return utf8, UTF8
    if chinese:
        return gbk, GBK
    if _european(latin):
        return latin, LATIN1
    if b" " in raw.strip():
        parts = [decode_field(word) for word in raw.split(b" ")]
        hows = {how for _text, how in parts if how}
        return " ".join(text for text, _how in parts), (hows.pop() if len(hows) == 1 else "+".join(sorted(hows)))
    return (gbk, GBK) if gbk_ok else (latin, LATIN1)


def _try(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def _all_cjk(text: str) -> bool:
    return all(ch.isascii() or _CJK.match(ch) for ch in text) and text.isprintable()


def _utf8_plausible(text: str) -> bool:
    """Only characters a table of Chinese offices holds (Chinese, Latin letters, punctuation)."""
    return all(ch.isascii() or _UTF8_TEXT.match(ch) for ch in text) and text.isprintable()


def _european(text: str) -> bool:
    """The shape of European words: each run of accented letters is short and joined to an ASCII letter."""
    for run in _NON_ASCII_RUN.finditer(text):
        before = text[run.start() - 1] if run.start() else ""
        after = text[run.end()] if run.end() < len(text) else ""
        letters = all(ch.isalpha() and "\u00c0" <= ch <= "\u017f" for ch in run.group())
        if not letters or len(run.group()) > 3 or not (before.isascii() and before.isalpha()
                                                        or after.isascii() and after.isalpha()):
            return False
    return True


def describe(lines: dict[str, list[int]]) -> str:
    """"GBK: lines 2–40, 42; Latin-1: line 41" — which lines were decoded how."""
    return "; ".join(f"{how}: {_ranges(numbers)}" for how, numbers in sorted(lines.items(), key=lambda p: -len(p[1])))


def _ranges(numbers: list[int]) -> str:
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    listed = ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)
    return (_("line {numbers}") if len(numbers) == 1 else _("lines {numbers}")).format(numbers=listed)
