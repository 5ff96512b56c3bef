"""A Word or WPS file uploaded with a form, turned into a clean HTML body (see pages_uploads for the editor's)."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool

from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.items.documents.convert import SUFFIXES


async def docx_to_html(app, upload, title: str = "", field: str = "docx") -> str:
    """The document's content as clean HTML, converted in the bounded worker; its pictures in the content store."""
    from publisher.web import body_images
    from publisher.web.pages_uploads import DOCUMENT_MAX, convert_upload, save_upload

    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(_("{name}: only Word and WPS documents can be taken into the body (.docx, .doc, .wps, "
                           ".rtf, .odt)").format(name=upload.filename), field=field)
    with body_images.scratch() as tmp:
        source = await save_upload(upload, Path(tmp), "upload" + suffix, DOCUMENT_MAX, field)
        done = await run_in_threadpool(convert_upload, app, source, upload.filename, Path(tmp), title)
    return done["body"]
