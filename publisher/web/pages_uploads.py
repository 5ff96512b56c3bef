"""Uploads from the console's editor: pictures into the content store, documents converted into the body."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from publisher.errors import InputError, NotFound
from publisher.foundation.i18n import _
from publisher.items.documents.convert import SUFFIXES
from publisher.web import body_images
from publisher.web.api import ERRORS, User
from publisher.web.console import console_of
from publisher.web.word_upload import DOCUMENT_MAX, convert_upload, save_upload

router = APIRouter(prefix="/api/uploads", tags=["api"])


@router.post("/images", responses=ERRORS, summary="上传正文图片（存入内容库），返回图片地址")
async def upload_image(request: Request, actor: User, file: UploadFile) -> dict:
    app = console_of(request).app
    limit = app.config.limits.attachment_max_bytes
    with body_images.scratch() as tmp:
        source = await save_upload(file, Path(tmp), "image", limit, "body")
        sha = await run_in_threadpool(body_images.store_upload, app.config.attachments_dir, source,
                                      max_bytes=limit, field="body")
    return {"url": body_images.IMAGE_URL + sha, "sha256": sha}


@router.get("/images/{sha}", responses=ERRORS, summary="内容库中的正文图片")
def stored_image(request: Request, actor: User, sha: str):
    found = body_images.stored_image(console_of(request).app.config.attachments_dir, sha)
    if found is None:
        raise NotFound(_("no picture {sha}").format(sha=sha[:64]))
    return FileResponse(found[0], media_type=found[1], headers={"Cache-Control": "private, max-age=86400"})


@router.post("/documents", responses=ERRORS,
             summary="把 Word/WPS 文件（.docx .doc .wps .rtf .odt）转换为正文 HTML，图片存入内容库")
async def upload_document(request: Request, actor: User, file: UploadFile,
                          title: Annotated[str, Form(max_length=1000)] = "") -> dict:
    app = console_of(request).app
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(_("{name}: only Word and WPS documents can be taken into the body (.docx, .doc, .wps, "
                           ".rtf, .odt)").format(name=file.filename or "?"), field="docx")
    with body_images.scratch() as tmp:
        source = await save_upload(file, Path(tmp), "upload" + suffix, DOCUMENT_MAX, "docx")
        return await run_in_threadpool(convert_upload, app, source, file.filename or source.name, Path(tmp), title)


async def form_attachments(app, form, secret: str, folder: Path) -> tuple[list[str], list[dict]]:
    """The compose form's attachments: new uploads and those kept from a refused save, each stored in the
    content store at once (so a refused save loses none); paths in ``folder`` for queueing, and the kept list."""
    limit = app.config.limits.attachment_max_bytes
    tokens = [str(t) for t in form.getlist("kept_attach") if t]
    root = app.config.attachments_dir
    for n, upload in enumerate(form.getlist("attach")):
        if not getattr(upload, "filename", ""):
            continue
        source = await save_upload(upload, folder, f"new-{n}", limit, "attach")
        kept = await run_in_threadpool(body_images.keep_attachment, root, source, upload.filename, secret)
        tokens.append(kept["token"])
    return await run_in_threadpool(body_images.kept_attachments, root, list(dict.fromkeys(tokens)), secret, folder)


def staged_body(app, body: str, folder: Path) -> str:
    """The editor's body with its pictures as files in ``folder`` (queueing reads them relative to it)."""
    return body_images.stage(body, app.config.attachments_dir, folder,
                             max_bytes=app.config.limits.attachment_max_bytes)
