"""A content-addressed file store: each file kept once, under its SHA-256."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import shutil
import tempfile
from pathlib import Path

from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.foundation.filenames import safe_filename
from publisher.foundation.private_files import private_dir


def blob_path(root: Path, sha256: str) -> Path:
    """Where the file with this digest lives under ``root``."""
    return Path(root) / sha256[:2] / sha256[2:4] / sha256


def digest_file(path: Path) -> tuple[str, int]:
    """SHA-256 hex digest and size of a file."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def describe(path: Path, *, field: str, max_bytes: int) -> dict:
    """Check a file an editor attached and describe it (sha256, size, mime, filename)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(_("file not found: {path}").format(path=path), field=field)
    try:
        sha, size = digest_file(path)
    except OSError as exc:
        raise InputError(_("cannot read {path}: {strerror}").format(
                             path=path, strerror=exc.strerror), field=field) from None
    if size > max_bytes:
        raise InputError(_("{name} is {size:,} bytes; the limit is {max_bytes:,} (limits.attachment_max_bytes)").format(
                             name=path.name, size=size, max_bytes=max_bytes), field=field)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if mime.startswith("image/"):
        from publisher.foundation.content import image_problem

        problem = image_problem(path)
        if problem:
            raise InputError(f"{path.name} {problem}", field=field)
    return {"sha256": sha, "size": size, "mime": mime, "filename": safe_filename(path.name), "source": str(path)}


def store_file(root: Path, source: Path, sha256: str) -> Path:
    """Copy ``source`` into the store (atomically; a no-op when it is already there)."""
    target = blob_path(root, sha256)
    if target.exists():
        return target
    private_dir(target.parent)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
