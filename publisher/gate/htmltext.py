"""The text of an HTML body as an editor shows it (one line per paragraph, ``<br>`` a line break), mapped
back to the text nodes so hits can be masked in place without touching the markup."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from publisher.gate.personal import mask_personal

BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "caption", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table",
    "tbody", "tfoot", "thead", "tr", "ul",
})
CELL_TAGS = frozenset({"td", "th"})
SKIP_TAGS = frozenset({"script", "style", "head", "title", "template"})
_MARKUP = re.compile(r"<[A-Za-z!/]")


@dataclass
class BodyText:
    """``text`` is what an editor shows; ``owners[i]`` is (node index, offset) of character i, or None."""

    text: str
    owners: list[tuple[int, int] | None]
    nodes: list[NavigableString]
    soup: BeautifulSoup | None


def is_html(body: str) -> bool:
    return bool(_MARKUP.search(body))


def body_text(body: str) -> BodyText:
    """Lay out ``body`` (HTML, or plain text when it has no markup) as lines of text."""
    if not is_html(body):
        return BodyText(body, [(0, i) for i in range(len(body))], [], None)
    soup = BeautifulSoup(body, "html.parser")
    chars: list[str] = []
    owners: list[tuple[int, int] | None] = []
    nodes: list[NavigableString] = []

    def brk(sep: str = "\n") -> None:
        if chars and chars[-1] != "\n":
            chars.append(sep)
            owners.append(None)

    def walk(tag: Tag, pre: bool) -> None:
        for child in tag.children:
            if isinstance(child, Comment) or (isinstance(child, NavigableString) and type(child).__name__ in (
                    "Doctype", "Declaration", "ProcessingInstruction", "CData")):
                continue
            if isinstance(child, NavigableString):
                value = str(child)
                if not value.strip() and (not chars or chars[-1] == "\n") and not pre:
                    continue
                index = len(nodes)
                nodes.append(child)
                for offset, ch in enumerate(value):
                    chars.append(ch if pre and ch == "\n" else (" " if ch in "\r\n\t\f" else ch))
                    owners.append((index, offset))
                continue
            name = child.name.lower() if child.name else ""
            if name in SKIP_TAGS:
                continue
            if name == "br":
                chars.append("\n")
                owners.append(None)
                continue
            if name in CELL_TAGS and chars and chars[-1] != "\n":
                chars.append("\t")
                owners.append(None)
            if name in BLOCK_TAGS:
                brk()
            walk(child, pre or name == "pre")
            if name in BLOCK_TAGS:
                brk()

    walk(soup, False)
    return BodyText("".join(chars), owners, nodes, soup)


READ_ATTRIBUTES = ("title", "alt", "href", "src", "data-title", "aria-label", "summary", "longdesc")


def attribute_values(body: str) -> list[tuple[str, str, str]]:
    """The attribute values a reader or a channel may show (title=, alt=, href= ...): (tag, attribute, value)."""
    if not is_html(body):
        return []
    soup = BeautifulSoup(body, "html.parser")
    found = []
    for tag in soup.find_all(True):
        for name in READ_ATTRIBUTES:
            value = tag.get(name)
            if isinstance(value, list):
                value = " ".join(value)
            if value and value.strip():
                found.append((tag.name, name, str(value)))
    return found


def mask_body(body: str) -> tuple[str, int]:
    """The body with every personal number masked inside its text nodes; unchanged (same string) if none."""
    laid = body_text(body)
    masked, count = mask_personal(laid.text)
    if not count:
        return body, 0
    if laid.soup is None:
        return masked, count
    new_values = {i: list(str(node)) for i, node in enumerate(laid.nodes)}
    for position, (old, new) in enumerate(zip(laid.text, masked)):
        owner = laid.owners[position]
        if old != new and owner is not None:
            new_values[owner[0]][owner[1]] = new
    for index, node in enumerate(laid.nodes):
        value = "".join(new_values[index])
        if value != str(node):
            node.replace_with(NavigableString(value))
    return str(laid.soup), count
