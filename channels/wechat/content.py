"""Adapting an item body to what a WeChat article keeps, and images to what WeChat accepts.

Bodies are rewritten with BeautifulSoup (``html.parser``): unsupported elements go, links that leave
WeChat become readable text ("文字（https://...）"), and every ``<img src>`` is passed to a callback
that uploads the picture and returns its CDN url. Images are turned into jpg/png under 1 MB with Pillow.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Callable
from urllib.parse import urljoin, urlsplit

from publisher.errors import PermanentError
from publisher.foundation.i18n import N_

if TYPE_CHECKING:  # loaded where used: read-only commands parse the settings without it
    from PIL import Image

MB = 1024 * 1024
IMAGE_LIMIT = MB  # uploadimg takes jpg/png strictly under 1 MB
WECHAT_HOSTS = ("mp.weixin.qq.com", "weixin.qq.com")
CDN_HOST = "mmbiz.qpic.cn"

_DROP_WITH_CONTENT = (
    "script", "style", "iframe", "object", "embed", "form", "input", "button", "select", "textarea",
    "video", "audio", "canvas", "svg", "noscript", "template", "link", "meta", "head", "title",
)
_KEEP_TAGS = frozenset(
    "p br span strong b em i u s del ins section div h1 h2 h3 h4 h5 h6 blockquote ul ol li table thead tbody "
    "tfoot tr th td caption colgroup col img a hr sup sub pre code figure figcaption small big mark".split()
)
_KEEP_ATTRS = {
    "*": {"style"},
    "img": {"src", "alt"},
    "a": {"href"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
    "col": {"span"},
}


def is_wechat_url(url: str) -> bool:
    """True for pages that live on WeChat (links to them survive in an article)."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in WECHAT_HOSTS)


def is_cdn_url(url: str) -> bool:
    """True for images already on WeChat's CDN."""
    return (urlsplit(url).hostname or "").lower() == CDN_HOST


def adapt_body(html: str, image_url: Callable[[str], str | None], *, base_url: str | None = None) -> str:
    """The body as a WeChat article keeps it.

    ``image_url(src)`` returns the CDN url for an image (uploading it), or None to drop the image;
    ``base_url`` (the website copy) resolves relative links.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_DROP_WITH_CONTENT):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.name not in _KEEP_TAGS:
            tag.unwrap()
            continue
        allowed = _KEEP_ATTRS["*"] | _KEEP_ATTRS.get(tag.name, set())
        tag.attrs = {k: v for k, v in tag.attrs.items() if k in allowed}
    for img in soup.find_all("img"):
        src = (img.get("src") or "").strip()
        url = image_url(src) if src else None
        if url is None:
            img.decompose()
        else:
            img["src"] = url
    for link in soup.find_all("a"):
        _flatten_link(link, base_url)
    for table in soup.find_all("table"):
        _style_table(soup, table)
    return str(soup).strip()


TABLE_STYLE = "border-collapse:collapse;width:100%;font-size:14px"
CELL_STYLE = "border:1px solid #bbb;padding:2px 4px"  # short: WeChat counts the markup in its 20,000 characters
HEADER_STYLE = CELL_STYLE + ";background:#f2f4f7"


def _style_table(soup, table) -> None:
    """A table as a phone shows it in an article: borders and padding inline (WeChat drops classes and style
    sheets), paragraphs in cells as lines, in a block that scrolls sideways when wider than the screen."""
    table["style"] = TABLE_STYLE
    for cell in table.find_all(["td", "th"]):
        own = cell.get("style", "")
        cell["style"] = (HEADER_STYLE if cell.name == "th" else CELL_STYLE) + (";" + own if own else "")
        paragraphs = cell.find_all("p", recursive=False)
        for n, paragraph in enumerate(paragraphs):
            if n:
                paragraph.insert_before(soup.new_tag("br"))
            paragraph.unwrap()
    if table.parent is not None and table.parent.name != "section":
        table.wrap(soup.new_tag("section", style="overflow-x:auto;max-width:100%"))


def _flatten_link(link, base_url: str | None) -> None:
    from bs4 import NavigableString

    href = (link.get("href") or "").strip()
    text = link.get_text(" ", strip=True)
    if href.startswith("mailto:"):
        target = href[len("mailto:"):].split("?")[0]
    elif href.startswith(("http://", "https://")):
        target = href
    elif href and not href.startswith(("#", "attachment:", "javascript:", "tel:", "data:")) and base_url:
        target = urljoin(base_url, href)
    else:
        target = ""
    if target and is_wechat_url(target):
        link.attrs = {"href": target}
        return
    if target and text and text not in (target, target.split("://", 1)[-1]):
        link.insert_after(NavigableString(f"（{target}）"))
    elif target and not text:
        link.insert_after(NavigableString(target))
    link.unwrap()


def image_kind(data: bytes) -> str | None:
    """``jpg`` or ``png`` from the magic bytes, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def prepare_image(data: bytes, label: str, limit: int = IMAGE_LIMIT) -> tuple[bytes, str]:
    """The picture as jpg/png under ``limit`` bytes: converted (gif, webp, bmp...) or recompressed.

    Returns ``(bytes, "jpg"|"png")``; raises PermanentError when the file is not a picture or cannot
    be made small enough.
    """
    from PIL import Image, UnidentifiedImageError

    kind = image_kind(data)
    if kind and len(data) < limit:
        return data, kind
    try:
        image = Image.open(io.BytesIO(data))
        image.load()  # the first frame of an animated gif
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise PermanentError(
            N_("image {label} cannot be read as a picture ({kind}); attach it as jpg or png").format(
                label=label, kind=exc.__class__.__name__)
        ) from None
    transparent = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    if transparent:
        out = _encode(image.convert("RGBA"), "png")
        if len(out) < limit:
            return out, "png"
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    quality = 88
    for _ in range(12):
        out = _encode(image, "jpg", quality)
        if len(out) < limit:
            return out, "jpg"
        if quality > 70:
            quality -= 9
        else:
            width, height = image.size
            if width < 200 or height < 200:
                break
            image = image.resize((int(width * 0.8), int(height * 0.8)), Image.LANCZOS)
    raise PermanentError(
        N_("image {label} ({value:.1f} MB) cannot be made smaller than 1 MB for WeChat; attach a smaller jpg or "
           "png").format(
            label=label, value=len(data) / MB)
    )


def _encode(image: Image.Image, fmt: str, quality: int = 88) -> bytes:
    buffer = io.BytesIO()
    if fmt == "png":
        image.save(buffer, "PNG", optimize=True)
    else:
        image.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def plain_cover(color: str, size: tuple[int, int] = (900, 383)) -> bytes:
    """A plain jpg cover of one colour (WeChat's 2.35:1 cover shape), for accounts without a cover image."""
    from PIL import Image

    return _encode(Image.new("RGB", size, color), "jpg")


# -- remote images: fetched only from the hosts an office lists ------------------------------------------------------

REDIRECTS_MAX = 3


def listed_host(url: str, hosts: list[str] | tuple[str, ...]) -> bool:
    """True when ``url`` is http(s) on one of ``hosts`` (``example.gov.cn``, ``.example.gov.cn`` for every sub-host,
    ``127.0.0.1:8080`` with a port)."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower().rstrip("."), parts.port
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not host or parts.username or parts.password:
        return False
    for entry in hosts:
        entry = entry.lower().strip()
        name, _, entry_port = entry.partition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and str(port) != entry_port:
            continue
        if host == name or (name.startswith(".") and host.endswith(name)):
            return True
    return False


def _literal_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return host == "localhost"


def address_problem(url: str, *, first: bool, resolve=None) -> str | None:
    """Why ``url``'s host may not be fetched: it resolves to a loopback, private or link-local address (checked on
    every address the name resolves to). The office may list an address itself (``127.0.0.1``) for its first
    request; a redirect is never followed to such an address."""
    from publisher.foundation.urls import private_address, resolved_addresses

    host = (urlsplit(url).hostname or "").lower()
    if first and _literal_address(host):
        return None
    addresses = resolved_addresses(url, resolve)
    if addresses is None:
        return N_("external image {url}: the host {host} cannot be resolved").format(url=url, host=host)
    if any(private_address(a) for a in addresses):
        return N_("external image {url}: {host} is an internal address; not fetched").format(url=url, host=host)
    return None


def fetch_image(url: str, *, hosts: list[str], limit: int, timeout: float, session, send, resolve=None) -> bytes:
    """The bytes of a remote image on a listed host: redirects followed by hand (at most three, each to a listed host
    on a public address), at most ``limit`` bytes, within ``timeout`` seconds overall."""
    import time

    from publisher.errors import PermanentError as Refused, RetryableError

    deadline = time.monotonic() + timeout
    for hop in range(REDIRECTS_MAX + 1):
        if not listed_host(url, hosts):
            raise Refused(N_("external image {url}: the host is not among the image hosts the office lists "
                             "(image_hosts); attach the image to the item instead").format(url=url[:200]))
        problem = address_problem(url, first=hop == 0, resolve=resolve)
        if problem:
            raise Refused(problem)
        response = send(session, "GET", url, timeout=max(0.1, deadline - time.monotonic()), stream=True,
                        allow_redirects=False)
        with response:
            if response.status_code in (301, 302, 303, 307, 308) and response.headers.get("location"):
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code >= 500 or response.status_code == 429:
                raise RetryableError(N_("external image {url} answered HTTP {status_code}").format(
                    url=url, status_code=response.status_code))
            if response.status_code != 200:
                raise Refused(N_("external image {url} could not be downloaded (HTTP {status_code}); attach the "
                                 "image to the item instead").format(url=url, status_code=response.status_code))
            return _read_limited(response, url, limit, deadline)
    raise Refused(N_("external image {url}: more than {count} redirects").format(url=url, count=REDIRECTS_MAX))


def _read_limited(response, url: str, limit: int, deadline: float) -> bytes:
    import time

    import requests

    from publisher.errors import PermanentError as Refused, RetryableError

    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > limit:
                raise Refused(N_("external image {url} is larger than {size} bytes; attach a smaller copy to the "
                                 "item").format(url=url, size=limit))
            if time.monotonic() > deadline:
                raise RetryableError(N_("external image {url}: the download took too long").format(url=url))
            chunks.append(chunk)
    except requests.RequestException:
        raise RetryableError(N_("external image {url}: the download broke off").format(url=url)) from None
    return b"".join(chunks)
