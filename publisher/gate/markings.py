"""Classification markings (密级标志) — 绝密, 机密, 秘密 and the internal-use phrases — told from ordinary words.

A marking is typeset, not written in a sentence: it stands alone on its line, sits in brackets, carries a
★ and a period (秘密★1年), follows 密级:, or opens a line followed by a space (机密　关于……的通知). Inside a
sentence the same characters are ordinary words (国家秘密, 机密性, 秘书长, 保密工作) and are left alone.
"""

from __future__ import annotations

import re

from publisher.gate.findings import FindingKind
from publisher.gate.hits import Hit

LEVELS = ("绝密", "机密", "秘密")
PHRASES = ("内部资料", "内部使用", "注意保密", "不宜公开", "工作秘密")

_LEVEL = "(?:" + "|".join(LEVELS) + ")"
_PHRASE = "(?:" + "|".join(PHRASES) + ")"
_STAR = r"[★☆*＊]"
_H = r"[^\S\n]"  # horizontal white space: a marking never runs over a line break
_PERIOD = r"(?:长期|\d{1,2}_H*(?:年|个月)|\d{4}_H*年(?:_H*\d{1,2}_H*月(?:_H*\d{1,2}_H*日)?)?)".replace("_H", _H)
_OPEN, _CLOSE = r"[\[【（(〔［「『]", r"[\]】）)〕］」』]"  # not 《》 (titles) nor quotes (a word being discussed)
_AROUND = r"[^\w\n《》“”\"‘’']"  # what may surround a marking that stands alone on its line
_SEP = r"[ \t\u3000，,、；;:：·]*"
# one marking: a level with an optional ★ and period, or an internal-use phrase (仅供/此件 ... allowed before)
_ONE = (rf"(?:{_LEVEL}(?:{_H}*{_STAR}(?:{_H}*{_PERIOD})?|{_H}+{_PERIOD})?"
        rf"|(?:此件|本件|本文件|本材料|本资料|仅供|仅限|只限|限)?{_PHRASE}(?:[，,]?(?:请?勿外传|严禁外传|不得外传|仅供参考))?)")
_MARKS = rf"{_ONE}(?:{_SEP}{_ONE}){{0,3}}"  # bounded, and every space belongs to one place: no backtracking blow-up

_PATTERNS = (
    re.compile(rf"{_LEVEL}{_H}*{_STAR}(?:{_H}*{_PERIOD})?"),  # 秘密★1年, 机密★, 绝密 ★ 长期
    re.compile(rf"(?<={_OPEN}){_H}*{_MARKS}{_H}*(?={_CLOSE})"),  # 【机密】 （内部资料，注意保密）
    re.compile(rf"^{_AROUND}*?({_MARKS}){_AROUND}*$", re.M),  # a line of its own
    re.compile(rf"^[^\S\n]*({_MARKS})(?=[^\S\n]+\S)", re.M),  # opening a line, then a space: 机密　关于……
    re.compile(rf"(?<=密级){_H}*(?:[:：]|为|是)?{_H}*({_LEVEL}(?:{_H}*{_STAR}(?:{_H}*{_PERIOD})?)?)"),  # 密级：秘密
    re.compile(rf"(?:仅供|仅限|只限)(?:本单位|单位|机关|系统)?(?:{_PHRASE}|内部参考)"),  # 仅供内部使用
    re.compile(rf"(?:此件|本件)(?:{_PHRASE}|不公开|不予公开|请勿公开)"),  # 此件不宜公开 (the 附注 of a 公文)
)


_QUOTES = {"“": "”", "‘": "’", '"': '"', "「": "」", "『": "』"}
_MENTION_AFTER = re.compile(r"的|字样|等|标[志识注]")


def _mentioned(text: str, start: int, end: int) -> bool:
    """A marking quoted or talked about (例如“秘密★1年”, 秘密★1年的规定) rather than put on a document."""
    before = text[start - 1] if start else ""
    if before in _QUOTES and text[end:end + 1] == _QUOTES[before]:
        return True
    return bool(_MENTION_AFTER.match(text, end))


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
            if start < end and not _mentioned(text, start, end):
                spans.append((start, end))
    hits: list[Hit] = []
    for start, end in sorted(spans):
        if hits and start < hits[-1].end:
            if end > hits[-1].end:
                hits[-1] = Hit(FindingKind.CLASSIFICATION, hits[-1].start, end)
            continue
        hits.append(Hit(FindingKind.CLASSIFICATION, start, end))
    return hits
