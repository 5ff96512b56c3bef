"""Tidying a converted body: the title it repeats, pictures the browser cannot show, header cells."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")


def _plain(text: str) -> str:
    return _SPACE.sub("", text).strip()


def drop_title(html: str, title: str) -> tuple[str, bool]:
    """``html`` without its first heading or paragraph when that repeats ``title``; and whether it did."""
    from bs4 import BeautifulSoup

    if not title.strip():
        return html, False
    soup = BeautifulSoup(html, "html.parser")
    first = next((t for t in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p"]) if t.get_text(strip=True)),
                 None)
    if first is None or first.find_parent(["table", "li"]) or _plain(first.get_text()) != _plain(title):
        return html, False
    first.decompose()
    return str(soup), True


def drop_empty_images(html: str) -> str:
    """Remove ``<img>`` without a source (a Word picture in a format browsers cannot show: EMF, WMF)."""
    return re.sub(r'<img(?![^>]*\ssrc="[^"]+")[^>]*>', "", html)


def header_rows(html: str) -> str:
    """Tables without header cells get their first row (and the rows its merged cells reach down over) as header
    cells: a 公示's table heads its columns there, and Word marks it only when "repeat as header row" is set."""
    from bs4 import BeautifulSoup

    if "<table" not in html:
        return html
    soup = BeautifulSoup(html, "html.parser")
    for table in soup.find_all("table"):
        rows = table.find_all("tr")
        if len(rows) < 2 or table.find("th") or rows[0].find_parent("table") is not table:
            continue
        depth = max(int(c.get("rowspan") or 1) if str(c.get("rowspan") or "1").isdigit() else 1
                    for c in rows[0].find_all(["td", "th"], recursive=False) or [rows[0]])
        for row in rows[:min(depth, len(rows) - 1)]:
            for cell in row.find_all("td", recursive=False):
                cell.name = "th"
    return str(soup)
