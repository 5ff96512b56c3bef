"""``--log-file FILE`` for ``run`` and ``serve``: the root logger also writes to FILE, rotated by size."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from publisher import __version__
from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.foundation.redact import install_log_scrubbing

MAX_BYTES = 10_000_000  # a file is rotated at 10 MB …
BACKUPS = 9             # … and nine old ones are kept (FILE.1 … FILE.9): at most 100 MB of logs
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_to_file(path: str, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> logging.Handler:
    """Add a rotating, secret-scrubbing file handler to the root logger; InputError when FILE cannot be written."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(target, maxBytes=max_bytes, backupCount=backups,
                                                       encoding="utf-8")
    except OSError as exc:
        raise InputError(_("cannot write the log file {path}: {reason}").format(
            path=target, reason=exc.strerror or exc), field="--log-file") from None
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    install_log_scrubbing()
    logging.getLogger("publisher").info("publisher %s (pid %d) logging to %s", __version__, os.getpid(), target)
    return handler
