"""Personal data in text: resident ID numbers (GB 11643-1999), mainland mobile numbers, bank card numbers.

Each detector finds candidates that are not part of a longer digit run (nor next to ``*``, so already-masked
numbers are left alone), validates them, and masks digits in place: a mask has the same length as the number,
so it can be written back into HTML text nodes, DOCX runs or spreadsheet cells without moving anything else.
"""

from __future__ import annotations

import re
from datetime import date

from .findings import FindingKind
from .hits import Hit, overlaps

# full-width digits and letters an editor may type; mapped one to one so spans stay valid
_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ－＋", "0123456789Xx-+")

# province-level codes of GB/T 2260 (and 81/82/83 used by Hong Kong, Macao and Taiwan residence permits)
PROVINCES = frozenset({
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
})
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_NOT_BEFORE = r"(?<![\d*])(?<!\d[.,])(?<![\d*][ -])"
_NOT_AFTER = r"(?![\d*])(?![.,]\d)(?![ -][\d*])"
_ID18 = re.compile(_NOT_BEFORE + r"(\d{6})( ?)(\d{8})\2(\d{3}[\dXx])" + r"(?![\dA-Za-z*])(?![.,]\d)(?![ -]\d)")
_ID15 = re.compile(_NOT_BEFORE + r"\d{15}" + _NOT_AFTER)
_CARD = re.compile(_NOT_BEFORE + r"(?:\d{16,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1?\d{1,3})?)" + _NOT_AFTER)
_MOBILE_PREFIX = r"1(?:3\d|4[014-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])"
_MOBILE = re.compile(
    _NOT_BEFORE + r"(?:(?:\+|00)?86[ -]?)?(" + _MOBILE_PREFIX + r"(?:\d{8}|([ -])\d{4}\2\d{4}))" + _NOT_AFTER
    + r"(?!\s*(?:元|万|亿|吨|平方|立方|公里|千克|公斤|股|份))"
)
# issuer prefixes of cards in use in China: UnionPay 62/60/9x, Visa 4, Mastercard 51-55, JCB 35, Amex 37
_CARD_PREFIX = re.compile(r"(?:62|60|9[45]|4|5[1-5]|35|37)")


def normalize_digits(text: str) -> str:
    """Full-width digits, X, ``-`` and ``+`` as ASCII, one character for one, so offsets are unchanged."""
    return text.translate(_WIDTH)


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def plausible_region(code: str) -> bool:
    """Province is a real one; prefecture 01-90 (00 for the special administrative regions)."""
    province, prefecture = int(code[:2]), int(code[2:4])
    if province in (71, 81, 82, 83):
        return True
    return 1 <= prefecture <= 90


def plausible_birth(yyyymmdd: str, *, today: date | None = None) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= (today or date.today())


def valid_id18(number: str, *, today: date | None = None) -> bool:
    """An 18-character resident ID number: region, birth date and check digit all right."""
    number = number.upper()
    if not re.fullmatch(r"\d{17}[\dX]", number) or int(number[:2]) not in PROVINCES:
        return False
    return (plausible_region(number[:6]) and plausible_birth(number[6:14], today=today)
            and id_check_digit(number[:17]) == number[17])


def valid_id15(number: str) -> bool:
    """A 15-digit ID number of the first generation (before 1999): region and a 19YYMMDD birth date."""
    return (bool(re.fullmatch(r"\d{15}", number)) and int(number[:2]) in PROVINCES
            and plausible_region(number[:6]) and plausible_birth("19" + number[6:12]))


def lossy_id(digits: str) -> bool:
    """18 digits read from a spreadsheet float (last digits lost) that still begin like an ID number."""
    return (len(digits) == 18 and digits.isdigit() and int(digits[:2]) in PROVINCES
            and plausible_region(digits[:6]) and plausible_birth(digits[6:14]))


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, ch in enumerate(reversed(digits)):
        d = int(ch)
        if index % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _star_digits(raw: str, keep_first: int, keep_last: int) -> str:
    """Replace digits by ``*`` except the first and last few; separators stay where they are."""
    positions = [i for i, ch in enumerate(raw) if ch.isdigit() or ch in "Xx"]
    hide = set(positions[keep_first:len(positions) - keep_last])
    return "".join("*" if i in hide else ch for i, ch in enumerate(raw))


def mask_id(raw: str) -> str:
    """320623********123X: first 6 and last 4 kept."""
    return _star_digits(raw, 6, 4)


def mask_mobile(raw: str) -> str:
    """138****5678: first 3 and last 4 kept."""
    return _star_digits(raw, 3, 4)


def mask_card(raw: str) -> str:
    """6222 **** **** 1234 (or 6222********1234 ungrouped): first 4 and last 4 kept."""
    return _star_digits(raw, 4, 4)


def _hit(kind: FindingKind, start: int, raw: str, masked: str) -> Hit:
    return Hit(kind, start, start + len(raw), masked=masked, suggestion=f"mask: {masked}")


def find_personal(text: str, *, today: date | None = None) -> list[Hit]:
    """Every ID number, bank card and mobile number in ``text``, in order, none overlapping."""
    text = normalize_digits(text)
    hits: list[Hit] = []
    for m in _ID18.finditer(text):
        if valid_id18(m.group(1) + m.group(3) + m.group(4), today=today):
            hits.append(_hit(FindingKind.ID_NUMBER, m.start(), m.group(), mask_id(m.group())))
    for m in _ID15.finditer(text):
        candidate = _hit(FindingKind.ID_NUMBER, m.start(), m.group(), mask_id(m.group()))
        if valid_id15(m.group()) and not overlaps(candidate, hits):
            hits.append(candidate)
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        candidate = _hit(FindingKind.BANK_CARD, m.start(), m.group(), mask_card(m.group()))
        if (_CARD_PREFIX.match(digits) and luhn_valid(digits) and not valid_id18(digits, today=today)
                and not overlaps(candidate, hits)):
            hits.append(candidate)
    for m in _MOBILE.finditer(text):
        candidate = Hit(FindingKind.MOBILE, m.start(1), m.end(1))
        if not overlaps(candidate, hits):
            masked = mask_mobile(m.group(1))
            hits.append(Hit(FindingKind.MOBILE, m.start(1), m.end(1), masked=masked, suggestion=f"mask: {masked}"))
    return sorted(hits, key=lambda h: h.start)


def mask_personal(text: str, *, today: date | None = None) -> tuple[str, int]:
    """``text`` with every personal number masked in place (same length), and how many were masked."""
    hits = find_personal(text, today=today)
    if not hits:
        return text, 0
    out = list(text)
    for hit in hits:
        out[hit.start:hit.end] = hit.masked
    return "".join(out), len(hits)
