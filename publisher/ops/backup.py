"""Backups and restores of the ledger, safe while the daemon runs; a restored ledger looks up before it sends.

SQLite: :func:`backup` uses SQLite's online backup API, a consistent snapshot even while daemons write.
PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean`` (client tools of the server's version).
Either way :func:`mark_restored` runs after a restore: every delivery that was not settled in the copy
(pending, publishing, failed, in_doubt) becomes ``in_doubt``, because the daemon may have sent it after the copy
was taken; it is looked up before anything is sent again. Dead, published and retracted deliveries stay as they are.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from publisher.config.load import Config
from publisher.db.engine import reading
from publisher.db.pause_file import PauseFile
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.lifecycle import DeliveryStatus as S, event, move
from publisher.daemon.running import in_use
from publisher.errors import InputError, PublisherError, Refused
from publisher.db.schema import deliveries
from publisher.foundation.redact import scrub
from publisher.ledger.store import Store
from publisher.foundation.i18n import _


RESTORED = (S.PENDING, S.PUBLISHING, S.FAILED, S.IN_DOUBT)


def backup(config: Config, target: Path, *, actor: str = "backup") -> str:
    """Write one archive of the configured database and the attachment store to ``target``; returns what was done."""
    from publisher.ops import archive

    url = make_url(config.database_url)
    if target.exists():
        raise InputError(_("{target} exists; give a new file name").format(target=target), field="FILE")
    if not target.parent.is_dir():
        raise InputError(_("{folder}: no such folder").format(folder=target.parent), field="FILE")
    kind = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
    with tempfile.TemporaryDirectory(prefix=".publisher-backup-", dir=target.parent) as tmp:
        copy = Path(tmp) / archive.DATABASE_NAMES[kind]
        _dump_database(config, url, copy)
        if kind == "sqlite":
            referenced = archive.referenced_in_sqlite_file(copy)
        else:
            store = Store.open(config.database_url)
            try:
                referenced = archive.referenced_in_engine(store.engine)
            finally:
                store.engine.dispose()
        manifest = archive.write_archive(target, copy, kind, config.attachments_dir, referenced)
    _record_backup(config, target, manifest, actor)
    return _("wrote {target}: the database ({how}) and {count} attached files").format(
        target=target, how=_("SQLite online backup") if kind == "sqlite" else "pg_dump --format=custom",
        count=manifest["attachments"]) + ("" if not manifest["missing"] else "\n" + _(
        "warning: {count} files the database refers to were already missing from {store}").format(
        count=len(manifest["missing"]), store=config.attachments_dir))


def _record_backup(config: Config, target: Path, manifest: dict, actor: str) -> None:
    """The backup in the audit chain (``status`` shows the last one); a copy of a read-only database stays valid."""
    try:
        store = Store.open(config.database_url)
    except PublisherError:
        return
    try:
        with store.transaction() as conn:
            store.event(conn, EventKind.BACKUP_TAKEN, actor=actor, file=str(target.resolve()),
                        attachments=manifest["attachments"], size=target.stat().st_size)
    finally:
        store.engine.dispose()


def _dump_database(config: Config, url, target: Path) -> None:
    """A consistent copy of the database in ``target``: SQLite's online backup, or ``pg_dump --format=custom``."""
    if url.get_backend_name() == "sqlite":
        source = _sqlite_path(config)
        if not source.is_file():
            raise InputError(_("{source}: no such database").format(source=source), field="database.url")
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return
    _pg_tool(url, "pg_dump", "--format=custom", *_schema_args(url), "--file", str(target))


def restore(config: Config, source: Path, *, clock=None) -> int:
    """Replace the configured database (and fill the attachment store) from the backup in ``source``, then mark
    what it had not settled in doubt. Stop every daemon first. Returns how many deliveries will be looked up.
    """
    from publisher.ops import archive

    if not source.is_file():
        raise InputError(_("{source}: no such file").format(source=source), field="FILE")
    _refuse_while_running(config)
    if not archive.is_archive(source):  # a bare database copy (releases before 0.2)
        _check_copy(config, source)
        if make_url(config.database_url).get_backend_name() == "sqlite":
            archive.verify_blobs(archive.referenced_in_sqlite_file(source), config.attachments_dir, source)
        _restore_database(config, source)
        return mark_restored_database(config, clock=clock)
    with tempfile.TemporaryDirectory(prefix="publisher-restore-") as tmp:
        manifest, copy, blobs = archive.unpack_archive(source, Path(tmp))
        kind = "sqlite" if make_url(config.database_url).get_backend_name() == "sqlite" else "postgresql"
        if manifest["database"] != kind:
            raise InputError(_("{source} holds a {held} database; the configuration uses {kind}").format(
                                 source=source, held=manifest["database"], kind=kind), field="FILE")
        _check_copy(config, copy)
        referenced = archive.referenced_in_sqlite_file(copy) if kind == "sqlite" else set(manifest["referenced"])
        archive.verify_blobs(referenced - set(manifest.get("missing", [])), blobs, source)
        _create_folders(config)
        archive.install_blobs(blobs, config.attachments_dir)
        _restore_database(config, copy)
    return mark_restored_database(config, clock=clock)


def _check_copy(config: Config, copy: Path) -> None:
    if make_url(config.database_url).get_backend_name() == "sqlite":
        _check_sqlite_copy(copy)
    else:
        _check_pg_copy(copy)


def _create_folders(config: Config) -> None:
    """The folders a restore writes to, created when a fresh machine does not have them yet."""
    try:
        config.attachments_dir.mkdir(parents=True, exist_ok=True)
        if make_url(config.database_url).get_backend_name() == "sqlite":
            _sqlite_path(config).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(_("cannot create {path}: {reason}").format(path=exc.filename, reason=exc.strerror),
                         field="storage.attachments") from None


def _restore_database(config: Config, copy: Path) -> None:
    url = make_url(config.database_url)
    if url.get_backend_name() != "sqlite":
        _pg_tool(url, "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                 "--dbname", url.database or "postgres", str(copy))
        return
    _create_folders(config)
    target = _sqlite_path(config)
    partial = target.with_name(target.name + ".restoring")
    try:
        with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as src, sqlite3.connect(partial) as dst:
            src.backup(dst)
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):  # they belong to the database replaced
            leftover.unlink(missing_ok=True)
        os.replace(partial, target)
        PauseFile(target).replaced()  # a check before a request reads the restored pauses, not the ones it knew
    finally:
        partial.unlink(missing_ok=True)


def mark_restored_database(config: Config, *, clock=None) -> int:
    """Open the configured database (just restored) and mark what it had not settled in doubt."""
    store = Store.open(config.database_url, clock)
    try:
        return mark_restored(store, config, actor="restore")
    finally:
        store.engine.dispose()


def mark_restored(store: Store, config: Config, *, actor: str) -> int:
    """Make every unsettled delivery ``in_doubt`` (looked up before any send); returns how many."""
    now = store.clock.now()
    slowest = max((c.timeout for c in config.channels.values()), default=30.0)
    in_flight_until = now + timedelta(seconds=slowest + config.retry.in_doubt_delay)
    with reading(store.engine) as conn:
        rows = conn.execute(select(deliveries).where(deliveries.c.status.in_([s.value for s in RESTORED]))).all()
    marked = 0
    with store.transaction() as conn:
        for d in rows:
            due = max(d.next_attempt_at, now) if d.status == S.PENDING else now
            marked += move(conn, d.id, current=d.status, to=S.IN_DOUBT, version=d.version,
                           event=event(EventKind.IN_DOUBT.value, actor=actor, at=now, item_id=d.item_id,
                                       channel=d.channel, reason="restored from a backup: look it up before sending",
                                       previous=d.status),
                           lease_owner=None, lease_expires_at=None, next_attempt_at=due, updated_at=now,
                           in_flight_until=max(d.in_flight_until, in_flight_until) if d.in_flight_until
                           else in_flight_until)
    return marked


def _refuse_while_running(config: Config) -> None:
    """Refused (exit 3) while some ``publisher run`` uses the configured database."""
    if not in_use(config.database_url):
        return
    if make_url(config.database_url).get_backend_name() == "sqlite":
        raise Refused("daemon-running", _("a publisher run is using {target}; stop it before restoring (it "
                                          "would go on using the replaced file)").format(
                                              target=_sqlite_path(config)))
    raise Refused("daemon-running", _("a publisher run is using the database {target}; stop every daemon "
                                      "before restoring (it would go on writing into the restored one)").format(
                                          target=make_url(config.database_url).render_as_string(
                                              hide_password=True)))


def _sqlite_path(config: Config) -> Path:
    database = make_url(config.database_url).database
    if not database or database == ":memory:":
        raise InputError(_("an in-memory database cannot be backed up"), field="database.url")
    return Path(database)


def _check_sqlite_copy(source: Path) -> None:
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise InputError(_("{source} is not an SQLite database ({exc})").format(
                             source=source, exc=exc), field="FILE") from None
    if not {"items", "deliveries", "events"} <= tables:
        raise InputError(_("{source} is not a publisher database (no items/deliveries/events tables)").format(
                             source=source), field="FILE")


def _check_pg_copy(source: Path) -> None:
    if _pg_binary("pg_restore") and subprocess.run(["pg_restore", "--list", str(source)],
                                                   capture_output=True).returncode != 0:
        raise InputError(_("{source} is not a pg_dump archive (pg_dump --format=custom)").format(source=source),
                         field="FILE")


def _schema_args(url) -> list[str]:
    """``--schema NAME`` when the URL picks a schema with ``options=-csearch_path=NAME``: dump only that office's."""
    options = url.query.get("options", "")
    options = options if isinstance(options, str) else " ".join(options)
    for part in options.split():
        if part.startswith("-csearch_path="):
            return ["--schema", part.split("=", 1)[1].split(",")[0]]
    return []


def _pg_environment(url) -> dict[str, str]:
    """libpq's variables for the URL: the password travels in the environment, never on a command line."""
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database),
                       ("PGOPTIONS", url.query.get("options"))):
        if value:
            env[key] = str(value)
    return env


def _pg_binary(name: str) -> bool:
    return shutil.which(name) is not None


def _pg_tool(url, name: str, *args: str) -> None:
    if not _pg_binary(name):
        raise PublisherError(_("{name} is not installed; install the PostgreSQL client tools of the server's "
                               "version").format(name=name))
    done = subprocess.run([name, *args], capture_output=True, text=True, env=_pg_environment(url))
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:]
        raise PublisherError(_("{name} failed: {last_line}").format(
            name=name, last_line=scrub(" ".join(last), [url.password or ""])))
