"""Item content: decode text files (UTF-8 or GB18030/GBK), sanitise HTML, collect local images."""

from __future__ import annotations

import codecs
import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nh3
from bs4 import BeautifulSoup

from .errors import InputError

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p",
    "pre", "s", "section", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"title", "lang", "dir", "style", "class"},
    "a": {"href", "name", "target"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"},
    "ol": {"start", "type"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel", "attachment"}
ATTACHMENT_SCHEME = "attachment:"
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# CSS that can run script or fetch URLs (old IE expression(), url(javascript:...), bindings)
_UNSAFE_CSS = re.compile(r"expression\s*\(|url\s*\(|javascript:|vbscript:|behavior\s*:|-moz-binding|@import", re.I)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?")
# characters XML 1.0 (feeds, WordPress's RSS) cannot carry; Word pastes \x0b for a manual line break
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_CONTROL_SPACE = re.compile("[\x0b\x0c]")


def decode_text(data: bytes, *, source: str, encoding: str | None = None) -> str:
    """Decode a text file: the given encoding, else UTF-8 or UTF-16 (by BOM), else GB18030 when it reads as Chinese.

    Anything else is refused with a message naming ``source`` — never stored as mojibake.
    """
    if not encoding and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Notepad's "Unicode"
        try:
            text = data.decode("utf-16").lstrip("\ufeff")
        except UnicodeDecodeError:
            text = ""
        if text and _printable(text):
            return text
        raise InputError(f"{source} starts like UTF-16 text but is not: it is a binary file, not text")
    if b"\x00" in data and not re.sub(r"[-_]", "", (encoding or "").lower()).startswith("utf16"):
        raise InputError(f"{source} contains NUL bytes: it is a binary file, not text")
    if encoding:
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(f"{source} cannot be decoded as {encoding}: {exc}") from None
    try:
        return data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_chinese(text):
        return text
    line = data[: utf8_error.start].count(b"\n") + 1
    raise InputError(
        f"{source} is not UTF-8 (bad byte 0x{data[utf8_error.start]:02x} on line {line}) and does not read as "
        "GBK/GB18030 either; re-save it as UTF-8 or name its encoding (--encoding)"
    )


def _printable(text: str) -> bool:
    return sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t") >= len(text) * 0.98


def _looks_chinese(text: str) -> bool:
    if not _printable(text):
        return False
    cjk = len(_CJK.findall(text))
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return non_ascii == 0 or cjk >= non_ascii * 0.6


def strip_control_chars(text: str) -> str:
    """Drop control characters no XML feed can carry (vertical tab and form feed become a space)."""
    return _CONTROL.sub("", _CONTROL_SPACE.sub(" ", text))


def sanitize_html(html: str) -> str:
    """Remove scripts, event handlers, ``javascript:`` URLs, unknown tags and control characters."""
    return nh3.clean(
        strip_control_chars(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_safe_attribute,
    )


def _safe_attribute(tag: str, name: str, value: str) -> str | None:
    """Drop a ``style`` attribute that could run script or load a URL (escapes and comments undone first)."""
    if name != "style":
        return value
    css = _CSS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if int(m.group(1), 16) < 0x110000 else "",
                          re.sub(r"/\*.*?\*/", "", value, flags=re.S)).replace("\\", "")
    return None if _UNSAFE_CSS.search(css) else value


def local_images(html: str, base_dir: Path | None) -> tuple[str, list[Path]]:
    """Find ``<img src>`` that name local files (relative to ``base_dir``); return html with them marked.

    Each local image's src becomes ``local:<n>`` (index into the returned list) for the caller to
    replace with ``attachment:<sha256>`` once stored.
    """
    if base_dir is None or "<img" not in html:
        return html, []
    soup = BeautifulSoup(html, "html.parser")
    found: list[Path] = []
    for img in soup.find_all("img"):
        src = (img.get("src") or "").strip()
        scheme = urlsplit(src).scheme.lower()
        if not src or scheme in ("http", "https", "data") or src.startswith(ATTACHMENT_SCHEME):
            continue
        path = Path(unquote(src[7:] if scheme == "file" else src))
        path = path if path.is_absolute() else base_dir / path
        if not path.is_file():
            raise InputError(f"image {src!r} not found (looked for {path})", field="body")
        if not (mimetypes.guess_type(path.name)[0] or "").startswith("image/"):  # never publish a stray local file
            raise InputError(f"image {src!r} is not a picture file (.jpg, .png, .gif, ...)", field="body")
        img["src"] = f"local:{len(found)}"
        found.append(path)
    return (str(soup), found) if found else (html, [])


def replace_local_markers(html: str, digests: list[str]) -> str:
    """Turn ``local:<n>`` image markers into ``attachment:<sha256>``."""
    for index, sha in enumerate(digests):
        html = html.replace(f'src="local:{index}"', f'src="{ATTACHMENT_SCHEME}{sha}"')
    return html


def plain_text(html: str) -> str:
    """The body's text without tags (for summaries and length checks)."""
    return BeautifulSoup(html, "html.parser").get_text(" ", strip=True)
