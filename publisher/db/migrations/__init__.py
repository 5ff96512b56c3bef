"""Schema migrations (Alembic): every change is a revision script in ``versions/``, applied in one transaction.

Databases made before Alembic carry a ``schema_version`` table (versions 1 and 2); they are stamped with the
matching revision and upgraded from there. See docs/migrations.md.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from publisher.errors import ConfigError

if TYPE_CHECKING:  # Alembic itself is imported only to migrate: every command asks for head(), few migrate
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

HERE = Path(__file__).parent
LEGACY_REVISIONS = {1: "0001", 2: "0002"}  # schema_version.version → revision
PG_MIGRATION_LOCK = 4242001
logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per revision is noise to an office


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision this publisher knows: the one no revision script names as its ``down_revision``."""
    revisions, parents = set(), set()
    for script in (HERE / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revisions.update(re.findall(r'^revision = "([^"]+)"', source, re.M))
        parents.update(re.findall(r'^down_revision = "([^"]+)"', source, re.M))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else _scripts().get_current_head()  # Alembic says what is odd


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())


def _alembic_config(**attributes) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes.update(attributes)
    return cfg


def current_revision(conn: Connection) -> str | None:
    """The database's revision; a pre-Alembic database's by its ``schema_version``; None when empty."""
    names = set(inspect(conn).get_table_names())
    if "alembic_version" in names:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if "schema_version" in names:
        version = conn.execute(text("SELECT max(version) FROM schema_version")).scalar()
        return LEGACY_REVISIONS.get(version or 0, f"legacy-{version}")
    return None


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest revision (one cheap query)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head()


def migrate(engine: Engine, *, office: str = "default") -> str:
    """Bring the schema to the newest revision; safe when several processes start at once. Returns it.

    ``office`` is the code given to rows that predate offices.
    """
    if is_current(engine):
        return head()
    from alembic import command

    def upgrade(conn: Connection, cfg: AlembicConfig) -> None:
        revision = current_revision(conn)
        check_known(revision)
        if revision is not None and not _stamped(conn):
            command.stamp(cfg, revision)
        command.upgrade(cfg, "head")

    _in_one_transaction(engine, upgrade, office=office)
    return head()


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (what the later revisions added is dropped: back up first)."""
    from alembic import command

    def down(conn: Connection, cfg: AlembicConfig) -> None:
        check_known(current_revision(conn))
        command.downgrade(cfg, revision)

    _in_one_transaction(engine, down)


def _in_one_transaction(engine: Engine, step, *, office: str = "default") -> None:
    """Run ``step(conn, alembic_config)`` in one transaction: under an advisory lock on PostgreSQL, with foreign
    keys off on SQLite (batch operations copy tables; a DROP must not cascade into child rows)."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                if not sqlite:
                    conn.execute(text(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})"))
                step(conn, _alembic_config(connection=conn, office=office))
            if sqlite:
                problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise ConfigError([f"database.url: the migration left {len(problems)} rows without their parent"])
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def _stamped(conn: Connection) -> bool:
    return inspect(conn).has_table("alembic_version")


def check_known(revision: str | None) -> None:
    known = revision is None or (not revision.startswith("legacy-") and _known(revision))
    if not known:
        raise ConfigError([f"database.url: the database's schema ({revision}) is newer than this publisher's "
                           f"({head()}); upgrade publisher"])


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:
        return False
