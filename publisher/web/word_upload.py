"""A Word file (.docx) uploaded by an editor, turned into a clean HTML body."""

from __future__ import annotations

import io

from publisher.errors import InputError
from publisher.foundation.content import sanitize_html

DOCX_MAX = 20_000_000


async def docx_to_html(upload) -> str:
    """A Word file's content as clean HTML (mammoth, then the sanitiser every body passes)."""
    data = await upload.read(DOCX_MAX + 1)
    if len(data) > DOCX_MAX:
        raise InputError(f"Word 文件超过 {DOCX_MAX // 1_000_000} MB", field="docx")
    if not upload.filename.lower().endswith(".docx"):
        raise InputError("只能上传 .docx 格式的 Word 文件（.doc 请先另存为 .docx）", field="docx")
    import mammoth

    try:
        result = mammoth.convert_to_html(io.BytesIO(data))
    except Exception:  # mammoth raises many kinds for a damaged file
        raise InputError("无法读取这个 Word 文件（文件损坏或不是 .docx）", field="docx") from None
    return sanitize_html(result.value)
