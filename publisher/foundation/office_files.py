"""Limits on office files (Word, Excel) checked before any library opens them: a zip bomb, a document of
hundreds of thousands of empty paragraphs or of a thousand images is refused with the limit named."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from publisher.foundation.i18n import N_

_PARAGRAPH = re.compile(rb"<w:p[\s>/]")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class DocumentLimits:
    """What a document may hold before it is refused (uploads to the editor and the gate's readers)."""

    max_unpacked_bytes: int = 200_000_000
    max_paragraphs: int = 50_000
    max_images: int = 300
    memory_bytes: int = 1_500_000_000  # the conversion worker's address space
    seconds: int = 60  # the conversion worker's CPU and wall time


def office_zip_problem(path: Path, limits: DocumentLimits) -> str | None:
    """Why a .docx/.xlsx must not be opened (unpacked size, paragraphs, images), or None (also when it is no
    zip at all: the library that reads it names that)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _zip_problem(archive, limits)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError):
        return None  # not a zip at all: the reader that opens it says so


def _zip_problem(archive: zipfile.ZipFile, limits: DocumentLimits) -> str | None:
    entries = archive.infolist()
    unpacked = sum(e.file_size for e in entries)
    if unpacked > limits.max_unpacked_bytes:
        return N_("unpacks to {size:,} bytes; the limit is {limit:,} (uncompressed size)").format(
            size=unpacked, limit=limits.max_unpacked_bytes)
    images = sum(1 for e in entries if re.match(r"(word|xl)/media/", e.filename))
    if images > limits.max_images:
        return N_("holds {count} images; the limit is {limit} (image count)").format(count=images,
                                                                                     limit=limits.max_images)
    names = {e.filename for e in entries}
    if "word/document.xml" in names:
        count = _count(archive, "word/document.xml", _PARAGRAPH, limits.max_paragraphs)
        if count > limits.max_paragraphs:
            return N_("has more than {limit:,} paragraphs (paragraph count)").format(limit=limits.max_paragraphs)
    return None


def _count(archive: zipfile.ZipFile, name: str, pattern: re.Pattern, stop: int) -> int:
    """Matches of ``pattern`` in one member, read in chunks; stops counting past ``stop``."""
    count, tail = 0, b""
    with archive.open(name) as member:
        for chunk in iter(lambda: member.read(_CHUNK), b""):
            data = tail + chunk
            count += len(pattern.findall(data[:len(data) - 8] if len(chunk) == _CHUNK else data))
            tail = data[len(data) - 8:] if len(chunk) == _CHUNK else b""
            if count > stop:
                break
    return count
