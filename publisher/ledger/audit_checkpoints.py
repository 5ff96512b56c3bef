"""Checkpoints of the audit chain's head, appended to a file outside the database (config
``audit.checkpoint_file``): deleting the last events, or rewriting the chain and recomputing its hashes, no longer
fits a checkpoint written before. ``audit verify``, ``report --freeze`` and the daemon (hourly) write them."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from sqlalchemy import Connection

from publisher.ledger import audit

log = logging.getLogger("publisher.audit")


def checkpoint_path(config) -> Path | None:
    """The configured checkpoint file (relative to the config's folder), or None."""
    name = config.audit.checkpoint_file
    if not name:
        return None
    path = Path(name)
    return path if path.is_absolute() else config.path.parent / path


def audit_key(config) -> str | None:
    """The chain's key from the environment variable config ``audit.key_env`` names (never from the file)."""
    return os.environ.get(config.audit.key_env) or None


def read(path: Path | None) -> dict[int, tuple[str, str | None]]:
    """The checkpoints in ``path``: seq → (hash, seal); a missing file has none."""
    if path is None or not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            out[int(entry["seq"])] = (str(entry["hash"]), entry.get("mac"))
        except (ValueError, KeyError, TypeError):
            log.warning("audit: a line of %s is not a checkpoint; ignored", path)
    return out


def write(conn: Connection, path: Path | None, at) -> dict | None:
    """Append the chain's current head to ``path``; returns the checkpoint (None without a file or events)."""
    if path is None:
        return None
    row = conn.exec_driver_sql("SELECT seq, hash, mac FROM events WHERE seq IS NOT NULL "
                               "ORDER BY seq DESC LIMIT 1").first()
    if row is None:
        return None
    entry = {"seq": int(row[0]), "hash": row[1], "mac": row[2], "at": at.isoformat()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")
    return entry


def verify_with_checkpoints(conn: Connection, config, at=None) -> tuple[int, "audit.ChainProblem | None"]:
    """Verify the chain with the key and the checkpoints; when it holds and ``at`` is given, write a new one."""
    key = audit_key(config)
    path = checkpoint_path(config)
    checked, problem = audit.verify(conn, key=key.encode() if key else None, checkpoints=read(path))
    if problem is None and at is not None:
        write(conn, path, at)
    return checked, problem
