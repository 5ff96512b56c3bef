"""无障碍 (accessibility) of an HTML body: what a screen reader or an older reader cannot use.

Five checks, each a finding of kind ``accessibility`` with its place: an image without alt text, a table without
header cells, colour as the only marker of meaning, text in an image (a 通知/公告 scanned as a picture, judged by its
alt text and file name), headings that skip a level. Pure: the body in, findings out.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, Tag

from publisher.foundation.i18n import N_
from publisher.gate.findings import Finding, FindingKind
from publisher.gate.htmltext import is_html

#: alt text or file names that say the picture is a scanned document (its text is in the image)
SCANNED = re.compile(r"通知|公告|公示|通告|决定|办法|文件|扫描|scan", re.IGNORECASE)
_COLOUR = re.compile(r"(?:^|;)\s*(?:color|background(?:-color)?)\s*:", re.IGNORECASE)
_EMPHASIS = frozenset({"strong", "b", "em", "u", "mark", "ins", "del", "s"})
_EXCERPT = 30


_HEADING = re.compile(r"<h[1-6][\s>]", re.IGNORECASE)


def check_accessibility(body_html: str, field: str = "body") -> list[Finding]:
    """The body's accessibility findings, in document order of each check."""
    if not body_html or not is_html(body_html) or not _worth_parsing(body_html.lower()):
        return []
    soup = BeautifulSoup(body_html, "html.parser")
    return (_images(soup, field) + _tables(soup, field) + _colour_only(soup, field) + _headings(soup, field))


def _worth_parsing(body: str) -> bool:
    """Whether any check could find something (most bodies: paragraphs, one headed table) without parsing."""
    tables = body.count("<table")
    return ("<img" in body or "color" in body or len(_HEADING.findall(body)) > 1
            or (tables and (tables > 1 or "<th" not in body.replace("<thead", "").replace("<tbody", ""))))


def _finding(field: str, where: str, text: str, suggestion: str) -> Finding:
    return Finding(FindingKind.ACCESSIBILITY, field, where, " ".join(text.split())[:_EXCERPT * 2], suggestion)


def _images(soup: BeautifulSoup, field: str) -> list[Finding]:
    found = []
    for number, img in enumerate(soup.find_all("img"), start=1):
        where = N_("image {number}").format(number=number)
        src = str(img.get("src") or "")
        name = unquote(urlsplit(src).path.rsplit("/", 1)[-1]) if src else ""
        alt = img.get("alt")
        if alt is None or not str(alt).strip():
            found.append(_finding(field, where, name or src, N_("add alt text saying what the image shows")))
        if SCANNED.search(f"{alt or ''} {name}"):
            found.append(_finding(field, where, str(alt or name),
                                  N_("text in an image: publish the notice's text itself (a screen reader cannot "
                                     "read a scan)")))
    return found


def _tables(soup: BeautifulSoup, field: str) -> list[Finding]:
    found = []
    for number, table in enumerate(soup.find_all("table"), start=1):
        if table.find("th") is None:
            first = table.find("tr")
            found.append(_finding(field, N_("table {number}").format(number=number),
                                  first.get_text(" ", strip=True) if first else "",
                                  N_("mark the header row with <th> cells (表头)")))
    return found


def _colour_only(soup: BeautifulSoup, field: str) -> list[Finding]:
    """A coloured run of text that nothing else marks (no bold, no emphasis, no words around it saying so)."""
    found = []
    number = 0
    for tag in soup.find_all(style=_COLOUR):
        if not isinstance(tag, Tag) or not tag.get_text(strip=True):
            continue
        number += 1
        if tag.name in _EMPHASIS or tag.find(list(_EMPHASIS)) or (tag.parent and tag.parent.name in _EMPHASIS):
            continue
        found.append(_finding(field, N_("coloured text {number}").format(number=number), tag.get_text(" ", strip=True),
                              N_("colour alone carries meaning: also mark it in words or with bold")))
    return found


def _headings(soup: BeautifulSoup, field: str) -> list[Finding]:
    found = []
    previous = None
    for number, heading in enumerate(soup.find_all(re.compile(r"^h[1-6]$")), start=1):
        level = int(heading.name[1])
        if previous is not None and level > previous + 1:
            found.append(_finding(field, N_("heading {number}").format(number=number), heading.get_text(" ", strip=True),
                                  N_("heading <h{level}> follows <h{previous}>: use <h{expected}>").format(
                                      level=level, previous=previous, expected=previous + 1)))
        previous = level
    return found
