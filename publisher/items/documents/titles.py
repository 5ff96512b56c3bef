"""Tidying a converted body: the title it repeats, pictures the browser cannot show."""

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
