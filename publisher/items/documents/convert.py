"""One uploaded document to body HTML: checked against the limits, converted in a capped worker process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from publisher.errors import InputError
from publisher.foundation.content import sanitize_html
from publisher.foundation.i18n import _, shown
from publisher.foundation.office_files import DocumentLimits, office_zip_problem
from publisher.items.documents.legacy import LEGACY_SUFFIXES, to_docx
from publisher.items.documents.tidy import drop_empty_images, drop_title, header_rows

SUFFIXES = frozenset({".docx", *LEGACY_SUFFIXES})


@dataclass
class Converted:
    """A document's body: sanitised HTML whose ``<img src>`` name files in ``folder``, and whether the first
    heading was dropped (it repeated the item's title)."""

    html: str
    folder: Path
    images: list[str]
    title_dropped: bool = False


def convert(source: Path, name: str, workdir: Path, *, title: str = "", limits: DocumentLimits | None = None,
            field: str = "docx") -> Converted:
    """Convert ``source`` (uploaded as ``name``, with the same suffix) inside ``workdir``; the caller removes it."""
    limits = limits or DocumentLimits()
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(_("{name}: only Word and WPS documents can be taken into the body (.docx, .doc, .wps, "
                           ".rtf, .odt)").format(name=name), field=field)
    docx = to_docx(source, workdir, seconds=limits.seconds, field=field) if suffix in LEGACY_SUFFIXES else source
    problem = office_zip_problem(docx, limits)
    if problem:
        raise InputError(_("{name} is not taken: {reason}").format(name=name, reason=shown(problem)), field=field)
    images = workdir / "images"
    images.mkdir()
    out = _run_worker(docx, images, limits, name, field)
    html, dropped = drop_title(header_rows(drop_empty_images(sanitize_html(out["html"]))), title)
    return Converted(html=html, folder=images, images=list(out["images"]), title_dropped=dropped)


def _run_worker(docx: Path, outdir: Path, limits: DocumentLimits, name: str, field: str) -> dict:
    command = [sys.executable, "-m", "publisher.items.documents.worker", str(docx), str(outdir),
               str(limits.memory_bytes), str(limits.seconds)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=limits.seconds + 5, check=False,
                              cwd=outdir, env={**os.environ, "PYTHONPATH": _package_root()})
    except subprocess.TimeoutExpired:
        raise InputError(_("{name} is not taken: converting it took longer than {seconds} s (time limit)").format(
            name=name, seconds=limits.seconds), field=field) from None
    try:
        out = json.loads(done.stdout.decode("utf-8") or "{}")
    except ValueError:
        out = {}
    if done.returncode == 0 and "html" in out:
        return out
    if out.get("error") == "memory" or done.returncode in (-6, -9, -11, -24):  # out of memory (abort, segv), SIGXCPU
        raise InputError(_("{name} is not taken: converting it needs more than {mb} MB of memory or {seconds} s "
                           "of processor time (memory and time limits)").format(
                             name=name, mb=limits.memory_bytes // 1_000_000, seconds=limits.seconds), field=field)
    raise InputError(_("{name} cannot be read (a damaged file, or not a Word document)").format(name=name),
                     field=field)


def _package_root() -> str:
    root = str(Path(__file__).resolve().parents[3])
    return os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
