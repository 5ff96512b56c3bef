"""The backup archive: one ``.tar.gz`` holding a database copy and the attachment store, checked before a restore.

Layout: ``manifest.json`` (format, publisher version, database kind, the referenced blobs), ``database.sqlite`` or
``database.pgdump``, and ``attachments/aa/bb/<sha256>`` as in the store. The blobs are copied after the database,
so every file the copy refers to is in the archive (the store only grows; a file is stored before its row).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tarfile
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from publisher import __version__
from publisher.db.engine import reading
from publisher.db.schema import attachments, item_revisions
from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.ledger.blobs import blob_path, digest_file
from publisher.foundation.private_files import private_file

FORMAT = "publisher-backup"
DATABASE_NAMES = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}


def is_archive(path: Path) -> bool:
    """Whether ``path`` is a backup archive (rather than a bare database copy of an older release)."""
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def referenced_in_engine(engine) -> set[str]:
    """Every blob digest the database refers to (attachments and every revision's file list)."""
    with reading(engine) as conn:
        found = {r[0] for r in conn.execute(select(attachments.c.sha256))}
        for (files,) in conn.execute(select(item_revisions.c.attachments)):
            found.update(f["sha256"] for f in (files or []) if f.get("sha256"))
    return found


def referenced_in_sqlite_file(path: Path) -> set[str]:
    """Every blob digest an SQLite copy refers to, read without opening it for writing."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        found = {r[0] for r in conn.execute("SELECT sha256 FROM attachments")}
        for (files,) in conn.execute("SELECT attachments FROM item_revisions"):
            found.update(f["sha256"] for f in json.loads(files or "[]") if f.get("sha256"))
    return found


def write_archive(target: Path, database_file: Path, kind: str, store: Path, referenced: set[str]) -> dict:
    """Pack the database copy and the store's files into ``target`` (via a temporary name); returns the manifest."""
    blobs = sorted(p for p in store.rglob("*") if p.is_file() and not p.name.startswith(".")) if store.is_dir() else []
    missing = sorted(referenced - {p.name for p in blobs})
    manifest = {"format": FORMAT, "version": 1, "publisher": __version__, "database": kind,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "attachments": len(blobs), "referenced": sorted(referenced), "missing": missing}
    partial = target.with_name(target.name + ".partial")
    private_file(partial)  # it holds the database: its owner's alone, whatever the umask
    try:
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(database_file, arcname=DATABASE_NAMES[kind])
            for blob in blobs:
                tar.add(blob, arcname="attachments/" + blob.relative_to(store).as_posix())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def unpack_archive(source: Path, into: Path) -> tuple[dict, Path, Path]:
    """Extract an archive into ``into``; (manifest, database file, attachments folder). InputError if it is not ours."""
    try:
        with tarfile.open(source, "r:*") as tar:
            names = tar.getnames()
            if any(n.startswith(("/", "..")) or "/../" in n for n in names):
                raise tarfile.TarError("unsafe member name")
            if hasattr(tarfile, "data_filter"):
                tar.extractall(into, filter="data")
            else:  # Python 3.11.0-3.11.3: the names were checked above
                tar.extractall(into)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InputError(_("{source} is not a readable backup archive ({exc})").format(source=source, exc=exc),
                         field="FILE") from None
    try:
        manifest = json.loads((into / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    kind = manifest.get("database")
    if manifest.get("format") != FORMAT or kind not in DATABASE_NAMES or not (into / DATABASE_NAMES[kind]).is_file():
        raise InputError(_("{source} is not a publisher backup archive (no manifest.json or database)").format(
                             source=source), field="FILE")
    return manifest, into / DATABASE_NAMES[kind], into / "attachments"


def verify_blobs(referenced: set[str], folder: Path, source: Path) -> None:
    """Refuse (exit 2) unless every referenced blob is in ``folder`` with the right digest."""
    bad = sorted(sha for sha in referenced
                 if not blob_path(folder, sha).is_file() or digest_file(blob_path(folder, sha))[0] != sha)
    if bad:
        raise InputError(_("{source}: {count} attached files the database refers to are missing or damaged "
                           "(first: {first}); nothing was restored").format(source=source, count=len(bad),
                                                                             first=bad[0]), field="FILE")


def install_blobs(folder: Path, store: Path) -> int:
    """Copy the archive's files into the attachment store (creating it); returns how many were added."""
    added = 0
    if not folder.is_dir():
        return 0
    for blob in folder.rglob("*"):
        if not blob.is_file():
            continue
        target = store / blob.relative_to(folder)
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(blob, target.with_name(target.name + ".restoring"))
        os.replace(target.with_name(target.name + ".restoring"), target)
        added += 1
    return added
