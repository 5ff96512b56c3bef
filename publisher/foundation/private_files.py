"""Files that hold the office's data are readable by their owner only, whatever the umask: 0600 files in 0700
folders (the database and its WAL, attachments, backups, exports)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700 folders; an existing folder is left as it is."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        os.chmod(folder, DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """Create ``path`` empty as 0600 when it does not exist; take group and other access away when it does."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        tighten(path)
        return
    os.close(fd)
    os.chmod(path, FILE_MODE)


def tighten(path: Path) -> None:
    """Take group and other access away from an existing file we own (no-op for a missing file; a file another
    account owns is left as it is, with a warning in the log)."""
    try:
        mode = os.stat(path).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.chmod(path, stat.S_IMODE(mode) & ~(stat.S_IRWXG | stat.S_IRWXO))
    except FileNotFoundError:
        return
    except PermissionError:
        logging.getLogger(__name__).warning("cannot make %s private: it belongs to another account", path)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` as a 0600 file (an export: a report, a catalogue)."""
    path = Path(path)
    private_file(path)
    with open(path, "wb") as out:
        out.write(data)


def create_private(path: Path):
    """A new file opened for binary writing, created 0600; FileExistsError when ``path`` exists."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb")
