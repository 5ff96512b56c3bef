"""Item content: decode text files (UTF-8 or GB18030/GBK), sanitise HTML, collect local images."""

from __future__ import annotations

import codecs
import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.foundation.urls import LINK_SCHEMES, link_problem

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
URL_SCHEMES = set(LINK_SCHEMES)
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
        raise InputError(_("{source} starts like UTF-16 text but is not: it is a binary file, not text").format(
                             source=source))
    if b"\x00" in data and not re.sub(r"[-_]", "", (encoding or "").lower()).startswith(("utf16", "utf32")):
        guess = _utf16_without_bom(data)
        if guess:
            raise InputError(_("{source} is {guess} text without a byte-order mark: re-save it as UTF-8, or give "
                               "--encoding {encoding}").format(source=source, guess=guess, encoding=guess.lower()))
        raise InputError(_("{source} contains NUL bytes: it is a binary file, not text").format(source=source))
    if encoding:
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(_("{source} cannot be decoded as {encoding}: {exc}").format(
                                 source=source, encoding=encoding, exc=exc)) from None
    try:
        return data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and looks_chinese(text):
        return text
    line = data[: utf8_error.start].count(b"\n") + 1
    raise InputError(
        _("{source} is not UTF-8 (bad byte 0x{byte:02x} on line {line}) and does not read as GBK/GB18030 either; "
          "re-save it as UTF-8 or name its encoding (--encoding)").format(
            source=source, byte=data[utf8_error.start], line=line)
    )


def _utf16_without_bom(data: bytes) -> str | None:
    """"UTF-16-LE" or "UTF-16-BE" when ``data`` reads as that text (NULs in every other byte), else None."""
    if len(data) < 2 or len(data) % 2:
        return None
    for name in ("UTF-16-LE", "UTF-16-BE"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if text and _printable(text) and "\x00" not in text:
            return name
    return None


def _printable(text: str) -> bool:
    return sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t") >= len(text) * 0.98


def looks_chinese(text: str) -> bool:
    """True when GB18030-decoded text reads as Chinese: mostly common (GB2312 level 1) characters.

    Latin-1 or Windows-1252 text decoded as GB18030 also yields Han characters, but rare ones (黮, 閒 …).
    """
    if not _printable(text):
        return False
    cjk = _CJK.findall(text)
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    if non_ascii == 0:
        return True
    if len(cjk) < non_ascii * 0.6:
        return False
    han = [ch for ch in cjk if "\u4e00" <= ch <= "\u9fff"]
    return not han or sum(1 for ch in han if _common_hanzi(ch)) >= len(han) * 0.7


def _common_hanzi(ch: str) -> bool:
    """In GB2312's level 1 (the 3,755 most used characters)."""
    try:
        code = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return 0xB0 <= code[0] <= 0xD7


def strip_control_chars(text: str) -> str:
    """Drop control characters no XML feed can carry (vertical tab and form feed become a space)."""
    return _CONTROL.sub("", _CONTROL_SPACE.sub(" ", text))


def sanitize_html(html: str) -> str:
    """Remove scripts, event handlers, ``javascript:`` URLs, unknown tags and control characters."""
    import nh3

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
    """Drop a link the URL check refuses, and a ``style`` attribute that could run script or load a URL (escapes and
    comments undone first)."""
    if name == "href":
        return None if link_problem(value) else value
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
    from bs4 import BeautifulSoup

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
            raise InputError(_("image {src!r} not found (looked for {path})").format(
                                 src=src, path=path), field="body")
        if not (mimetypes.guess_type(path.name)[0] or "").startswith("image/"):  # never publish a stray local file
            raise InputError(_("image {src!r} is not a picture file (.jpg, .png, .gif, ...)").format(
                                 src=src), field="body")
        problem = image_problem(path)
        if problem:
            raise InputError(_("image {src!r} {problem}").format(src=src, problem=problem), field="body")
        img["src"] = f"local:{len(found)}"
        found.append(path)
    return (str(soup), found) if found else (html, [])


_IMAGE_MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "image/gif": (b"GIF87a", b"GIF89a"),
    "image/bmp": (b"BM",), "image/tiff": (b"II*\x00", b"MM\x00*"), "image/x-icon": (b"\x00\x00\x01\x00",),
}


def sniff_image(head: bytes) -> str | None:
    """The image type the first bytes of a file show (image/jpeg, image/png, …), or None."""
    for mime, magics in _IMAGE_MAGIC.items():
        if head.startswith(magics):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    text = head[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")) and b"<svg" in head.lower():
        return "image/svg+xml"
    return None


def image_problem(path: Path) -> str | None:
    """Why a file named like an image is not one (its bytes say otherwise), or None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        return _("cannot be read ({strerror})").format(strerror=exc.strerror)
    if sniff_image(head) is None:
        return _("is named like a picture but its content is not one (JPEG, PNG, GIF, WebP, BMP, SVG)")
    return None


def replace_local_markers(html: str, digests: list[str]) -> str:
    """Turn ``local:<n>`` image markers into ``attachment:<sha256>``."""
    for index, sha in enumerate(digests):
        html = html.replace(f'src="local:{index}"', f'src="{ATTACHMENT_SCHEME}{sha}"')
    return html


def plain_text(html: str) -> str:
    """The body's text without tags (for summaries and length checks)."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser").get_text(" ", strip=True)
