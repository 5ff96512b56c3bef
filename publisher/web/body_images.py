"""Pictures in an editor's body: uploaded into the content store at once, shown to the editor from there, and
turned back into files beside the body when it is saved (so queueing stores them as the item's inline images)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import shutil
import tempfile
from pathlib import Path

from publisher.errors import InputError
from publisher.foundation.content import sniff_image
from publisher.foundation.filenames import safe_filename
from publisher.foundation.i18n import _
from publisher.ledger.blobs import blob_path, digest_file, store_file

IMAGE_URL = "/api/uploads/images/"
SHOWN = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp", "image/bmp": "bmp"}
_STORED_SRC = re.compile(r"(?:" + re.escape(IMAGE_URL) + r"|attachment:)([0-9a-f]{64})")
_DATA_SRC = re.compile(r"data:(image/[\w.+-]+);base64,([A-Za-z0-9+/=\s]+)")


def store_upload(root: Path, source: Path, *, max_bytes: int, field: str = "file") -> str:
    """Put one uploaded picture into the content store; its SHA-256 (InputError when it is not a picture)."""
    if source.stat().st_size > max_bytes:
        raise InputError(_("the picture is larger than {limit:,} bytes (limits.attachment_max_bytes)").format(
            limit=max_bytes), field=field)
    with open(source, "rb") as fh:
        if sniff_image(fh.read(1024)) not in SHOWN:
            raise InputError(_("not a picture the channels can show (JPEG, PNG, GIF, WebP, BMP)"), field=field)
    sha, _size = digest_file(source)
    store_file(root, source, sha)
    return sha


def stored_image(root: Path, sha: str) -> tuple[Path, str] | None:
    """The stored picture with this digest and its type, or None (not there, or not a picture)."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        return None
    path = blob_path(root, sha)
    try:
        with open(path, "rb") as fh:
            mime = sniff_image(fh.read(1024))
    except OSError:
        return None
    return (path, mime) if mime in SHOWN else None


def as_stored(html: str, root: Path) -> tuple[str, dict]:
    """An unsaved body as a channel would get it: its content-store pictures as ``attachment:`` inline images
    (for checking a draft against the channels' rules)."""
    from publisher.adapter import Attachment

    images = {}

    def stored(match: re.Match) -> str:
        found = stored_image(root, match.group(1))
        if found is not None:
            path, mime = found
            images[match.group(1)] = Attachment(path=path, filename=f"{match.group(1)[:12]}.{SHOWN[mime]}", mime=mime,
                                                sha256=match.group(1), size=path.stat().st_size)
        return f'src="attachment:{match.group(1)}"'

    return re.sub(r'src="' + re.escape(IMAGE_URL) + r'([0-9a-f]{64})"', stored, html), images


def for_editor(html: str) -> str:
    """A stored body as the editor shows it: ``attachment:`` pictures served from the content store."""
    return re.sub(r'src="attachment:([0-9a-f]{64})"', lambda m: f'src="{IMAGE_URL}{m.group(1)}"', html)


def stage(html: str, root: Path, folder: Path, *, max_bytes: int) -> str:
    """The body with each picture (from the content store, or pasted as a data: URL) copied into ``folder`` and
    named relative to it; web pictures stay; any other source (a ``file:`` path from Word, a server path) is
    left out."""
    from bs4 import BeautifulSoup

    if "<img" not in html.lower():
        return html
    soup = BeautifulSoup(html, "html.parser")
    for n, img in enumerate(soup.find_all("img"), 1):
        src = str(img.get("src") or "").strip()
        stored, pasted = _STORED_SRC.fullmatch(src), _DATA_SRC.fullmatch(src)
        if stored:
            img["src"] = _copy_stored(root, stored.group(1), folder, n)
        elif pasted:
            img["src"] = _write_pasted(pasted, folder, n, max_bytes)
        elif not src.lower().startswith(("http://", "https://")):
            img.decompose()
    return str(soup)


def _copy_stored(root: Path, sha: str, folder: Path, n: int) -> str:
    found = stored_image(root, sha)
    if found is None:
        raise InputError(_("a picture in the body is no longer on the server; insert it again"), field="body")
    name = f"picture-{n}.{SHOWN[found[1]]}"
    shutil.copyfile(found[0], folder / name)
    return name


def _write_pasted(match: re.Match, folder: Path, n: int, max_bytes: int) -> str:
    data = base64.b64decode(re.sub(r"\s", "", match.group(2)), validate=False)
    kind = sniff_image(data[:1024])
    if len(data) > max_bytes or kind not in SHOWN:
        raise InputError(_("a pasted picture is not JPEG, PNG, GIF, WebP or BMP, or is too large"), field="body")
    name = f"picture-{n}.{SHOWN[kind]}"
    (folder / name).write_bytes(data)
    return name


def converted_into_store(html: str, folder: Path, names: list[str], root: Path, *, max_bytes: int) -> str:
    """A converted document's body with its pictures (files in ``folder``) moved into the content store and
    served from there to the editor."""
    for name in names:
        sha = store_upload(root, folder / name, max_bytes=max_bytes, field="docx")
        html = html.replace(f'src="{name}"', f'src="{IMAGE_URL}{sha}"')
    return html


# -- attachments kept across a refused save ---------------------------------------------------------------

def keep_attachment(root: Path, source: Path, filename: str, secret: str) -> dict:
    """Store an attachment of a form that may be refused; the signed token that names it in the next form."""
    sha, _size = digest_file(source)
    store_file(root, source, sha)
    name = safe_filename(filename)
    return {"token": f"{sha}/{name}/{_mac(secret, sha, name)}", "filename": name}


def kept_attachments(root: Path, tokens: list[str], secret: str, folder: Path) -> tuple[list[str], list[dict]]:
    """The attachments a form names by token, copied into ``folder`` (paths for queueing) and described again."""
    paths, kept = [], []
    for n, token in enumerate(tokens):
        sha, _, rest = token.partition("/")
        name, _, mac = rest.rpartition("/")
        if not hmac.compare_digest(mac, _mac(secret, sha, name)) or not blob_path(root, sha).is_file():
            continue
        target = folder / f"kept-{n}" / name
        target.parent.mkdir(parents=True)
        shutil.copyfile(blob_path(root, sha), target)
        paths.append(str(target))
        kept.append({"token": token, "filename": name})
    return paths, kept


def _mac(secret: str, sha: str, name: str) -> str:
    return hmac.new(secret.encode(), f"{sha}/{name}".encode(), hashlib.sha256).hexdigest()[:32]


def scratch() -> tempfile.TemporaryDirectory:
    """A private temporary folder for one request's files."""
    return tempfile.TemporaryDirectory(prefix="publisher-upload-")
