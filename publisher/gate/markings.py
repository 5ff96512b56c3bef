"""Classification markings (密级标志) — 绝密, 机密, 秘密 and the internal-use phrases — told from ordinary words.

A marking is typeset, not written in a sentence: it stands alone on its line, sits in brackets, carries a
★ and a period (秘密★1年), follows 密级:, or opens a line followed by a space (机密　关于……的通知). Inside a
sentence the same characters are ordinary words (国家秘密, 机密性, 秘书长, 保密工作) and are left alone.
"""

from __future__ import annotations

import re

from .findings import FindingKind
from .hits import Hit

LEVELS = ("绝密", "机密", "秘密")
PHRASES = ("内部资料", "内部使用", "注意保密", "不宜公开", "工作秘密")

_LEVEL = "(?:" + "|".join(LEVELS) + ")"
_PHRASE = "(?:" + "|".join(PHRASES) + ")"
_STAR = r"[★☆*＊]"
_PERIOD = r"(?:长期|\d{1,2}\s*(?:年|个月)|\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?)"
_OPEN, _CLOSE = r"[\[【（(〔［「『<《]", r"[\]】）)〕］」』>》]"
_SEP = r"[\s，,、；;:：·]*"
# one marking: a level with an optional ★ and period, or an internal-use phrase (仅供/此件 ... allowed before)
_ONE = (rf"(?:{_LEVEL}\s*(?:{_STAR}\s*{_PERIOD}?|\s+{_PERIOD})?"
        rf"|(?:此件|本件|本文件|本材料|本资料|仅供|仅限|只限|限)?{_PHRASE}(?:，?请?勿外传)?)")
_MARKS = rf"{_ONE}(?:{_SEP}{_ONE})*"

_PATTERNS = (
    re.compile(rf"{_LEVEL}\s*{_STAR}\s*{_PERIOD}?"),  # 秘密★1年, 机密★, 绝密 ★ 长期
    re.compile(rf"(?<={_OPEN})\s*{_MARKS}\s*(?={_CLOSE})"),  # 【机密】 （内部资料，注意保密）
    re.compile(rf"^[\W_]*?({_MARKS})[\W_]*$", re.M),  # a line of its own
    re.compile(rf"^[^\S\n]*({_MARKS})(?=[^\S\n]+\S)", re.M),  # opening a line, then a space: 机密　关于……
    re.compile(rf"(?<=密级)\s*[:：]?\s*({_ONE})"),  # 密级：秘密
    re.compile(rf"(?:仅供|仅限|只限)(?:本单位|单位|机关|系统)?(?:{_PHRASE}|内部参考)"),  # 仅供内部使用
    re.compile(rf"(?:此件|本件|本文件|本材料)(?:{_PHRASE}|不公开|不予公开|请勿公开)"),  # 此件不宜公开
)


def find_markings(text: str) -> list[Hit]:
    """Every classification marking in ``text``, in order, none overlapping."""
    spans: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            start, end = (m.start(1), m.end(1)) if pattern.groups else (m.start(), m.end())
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                spans.append((start, end))
    hits: list[Hit] = []
    for start, end in sorted(spans):
        if hits and start < hits[-1].end:
            if end > hits[-1].end:
                hits[-1] = Hit(FindingKind.CLASSIFICATION, hits[-1].start, end)
            continue
        hits.append(Hit(FindingKind.CLASSIFICATION, start, end))
    return hits
