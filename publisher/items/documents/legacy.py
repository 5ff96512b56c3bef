"""Old and other word-processor formats (.doc, .wps, .rtf, .odt) turned into .docx by LibreOffice, headless."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from publisher.errors import InputError
from publisher.foundation.i18n import _

LEGACY_SUFFIXES = frozenset({".doc", ".wps", ".rtf", ".odt"})
PACKAGE = "libreoffice-writer-nogui"


def soffice() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_docx(source: Path, workdir: Path, *, seconds: int, field: str) -> Path:
    """``source`` converted to .docx in ``workdir`` (InputError naming the package when LibreOffice is missing)."""
    program = soffice()
    if program is None:
        raise InputError(_("{suffix} files are converted by LibreOffice, which is not installed on the server; "
                           "ask IT to install the package {package} (apt-get install {package}), or save the "
                           "file as .docx").format(suffix=source.suffix.lower(), package=PACKAGE), field=field)
    profile = workdir / "lo-profile"
    outdir = workdir / "lo-out"
    outdir.mkdir()
    command = [program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(outdir), str(source)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, env={**os.environ, "HOME": str(workdir)})
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise InputError(_("LibreOffice did not finish converting {name} within {seconds} s (time limit)").format(
            name=source.name, seconds=seconds), field=field) from None
    converted = outdir / (source.stem + ".docx")
    if process.returncode != 0 or not converted.is_file():
        raise InputError(_("LibreOffice could not read {name} (damaged, or not a {suffix} document)").format(
            name=source.name, suffix=source.suffix.lower()), field=field)
    return converted
