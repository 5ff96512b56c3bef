"""A Word or WPS file uploaded by an editor (with the compose form, or to the editor), converted into a clean HTML
body in the bounded worker; the upload itself is written to disk in chunks, refused past its limit."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import UploadFile
from starlette.concurrency import run_in_threadpool

from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.items.documents.convert import SUFFIXES, convert
from publisher.web import body_images

DOCUMENT_MAX = 20_000_000
CONVERSIONS = threading.BoundedSemaphore(2)  # at most two conversion workers at a time


async def save_upload(upload: UploadFile, folder: Path, name: str, limit: int, field: str) -> Path:
    """The upload written to ``folder/name``, refused past ``limit`` bytes without reading further."""
    target = folder / name
    size = 0
    with open(target, "wb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise InputError(_("the file is larger than {limit:,} bytes").format(limit=limit), field=field)
            out.write(chunk)
    return target


def convert_upload(app, source: Path, name: str, workdir: Path, title: str) -> dict:
    """Convert one saved upload (two at a time at most); its pictures go into the content store."""
    if not CONVERSIONS.acquire(timeout=120):
        raise InputError(_("the server is converting other documents; try again in a minute"), field="docx")
    try:
        done = convert(source, name, workdir, title=title)
    finally:
        CONVERSIONS.release()
    html = body_images.converted_into_store(done.html, done.folder, done.images, app.config.attachments_dir,
                                            max_bytes=app.config.limits.attachment_max_bytes)
    return {"body": html, "images": len(done.images), "title_dropped": done.title_dropped}


async def docx_to_html(app, upload, title: str = "", field: str = "docx") -> str:
    """The document's content as clean HTML, converted in the bounded worker; its pictures in the content store."""
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(_("{name}: only Word and WPS documents can be taken into the body (.docx, .doc, .wps, "
                           ".rtf, .odt)").format(name=upload.filename), field=field)
    with body_images.scratch() as tmp:
        source = await save_upload(upload, Path(tmp), "upload" + suffix, DOCUMENT_MAX, field)
        done = await run_in_threadpool(convert_upload, app, source, upload.filename, Path(tmp), title)
    return done["body"]
