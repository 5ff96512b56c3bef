"""Personal data in text: resident ID numbers (GB 11643-1999), mainland mobile numbers, bank card numbers.

Each detector finds candidates that are not part of a longer digit run (nor next to ``*``, so already-masked
numbers are left alone), validates them, and masks digits in place: a mask has the same length as the number,
so it can be written back into HTML text nodes, DOCX runs or spreadsheet cells without moving anything else.
"""

from __future__ import annotations

import re
from datetime import date

from publisher.foundation.i18n import N_
from publisher.gate.findings import FindingKind
from publisher.gate.hits import Hit

# full-width digits and letters an editor may type; mapped one to one so spans stay valid
_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ－＋", "0123456789Xx-+")

# province-level codes of GB/T 2260 (and 81/82/83 used by Hong Kong, Macao and Taiwan residence permits)
PROVINCES = frozenset({
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
})
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# not part of a longer digit run, a decimal, or a masked number; grouped forms are checked by _isolated too
_NOT_BEFORE = r"(?<![\d*])(?<!\d\.)"
_NOT_AFTER = r"(?![\d*])(?!\.\d)"
_ID18 = re.compile(_NOT_BEFORE + r"(\d{6})( ?)(\d{8})\2(\d{3}[\dXx])" + r"(?![\dA-Za-z*])(?!\.\d)")
_ID15 = re.compile(_NOT_BEFORE + r"\d{15}" + _NOT_AFTER)
_CARD = re.compile(_NOT_BEFORE + r"(?:\d{16,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1?\d{1,3})?)" + _NOT_AFTER)
_MOBILE_PREFIX = r"1(?:3\d|4[014-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])"
_MOBILE = re.compile(
    _NOT_BEFORE + r"(?:(?:\+|00)?86[ -]?)?(" + _MOBILE_PREFIX + r"(?:\d{8}|([ -])\d{4}\2\d{4}))" + _NOT_AFTER
    + r"(?!\s*(?:元|万|亿|吨|平方|立方|公里|千克|公斤|股|份))"
)
# a number right after one of these words is a code, not a person's: 营业执照注册号, 订单号, 流水号 ...
_CODE_CONTEXT = re.compile(r"(?:注册号|编号|编码|代码|识别号|税号|单号|流水号|批次号|批号|条码|序列号|凭证号)[^\d\n]{0,6}$")
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
    """18 digits that begin like an ID number (region, birth date) whatever their check digit: a spreadsheet
    float that lost its last digits, or a mistyped ID — never a bank card."""
    return (len(digits) == 18 and digits.isdecimal() and int(digits[:2]) in PROVINCES
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
    return Hit(kind, start, start + len(raw), masked=masked, suggestion=N_("mask: {masked}").format(masked=masked))


_URL = re.compile(r"(?:https?://|www\.)[\w./?%&=+#:~-]+", re.I)


def _isolated(text: str, start: int, end: int) -> bool:
    """A grouped number (138 1234 5678) must not continue a longer grouped run: the same separator and
    a group of three or more digits right before or after it (a lone 序号 digit next to it is fine)."""
    separator = re.search(r"[ -]", text[start:end])
    if not separator:
        return True
    sep = re.escape(separator.group())
    return (not re.search(rf"\d{{3,}}{sep}$", text[max(0, start - 8):start])
            and not re.match(rf"{sep}\d{{3,}}", text[end:end + 8]))


def _code_before(text: str, start: int) -> bool:
    return bool(_CODE_CONTEXT.search(text, max(0, start - 12), start))


def find_personal(text: str, *, today: date | None = None) -> list[Hit]:
    """Every ID number, bank card and mobile number in ``text``, in order, none overlapping."""
    text = normalize_digits(text)
    taken = bytearray(len(text))  # characters already part of a hit (or of a link)
    hits: list[Hit] = []

    def free(start: int, end: int) -> bool:
        return not any(taken[start:end])

    def take(hit: Hit) -> None:
        taken[hit.start:hit.end] = b"\x01" * (hit.end - hit.start)
        hits.append(hit)

    for m in _URL.finditer(text):
        taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    for m in _ID18.finditer(text):
        if (valid_id18(m.group(1) + m.group(3) + m.group(4), today=today) and _isolated(text, m.start(), m.end())
                and free(m.start(), m.end())):
            take(_hit(FindingKind.ID_NUMBER, m.start(), m.group(), mask_id(m.group())))
    for m in _ID15.finditer(text):
        if valid_id15(m.group()) and not _code_before(text, m.start()) and free(m.start(), m.end()):
            take(_hit(FindingKind.ID_NUMBER, m.start(), m.group(), mask_id(m.group())))
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if (_CARD_PREFIX.match(digits) and luhn_valid(digits) and not lossy_id(digits)
                and _isolated(text, m.start(), m.end()) and not _code_before(text, m.start())
                and free(m.start(), m.end())):
            take(_hit(FindingKind.BANK_CARD, m.start(), m.group(), mask_card(m.group())))
    for m in _MOBILE.finditer(text):
        if _isolated(text, m.start(1), m.end(1)) and free(m.start(1), m.end(1)):
            take(_hit(FindingKind.MOBILE, m.start(1), m.group(1), mask_mobile(m.group(1))))
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
