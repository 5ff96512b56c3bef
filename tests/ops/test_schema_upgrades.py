"""Schema upgrades with Alembic: a database made by the first release (the demo's, as shipped) and a bare
version-1 database upgrade with nothing lost, and a fresh database matches the live table definitions."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.real_migrations  # these tests are about the migrations themselves
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select, text

from publisher.ledger import audit
from publisher.db.engine import make_engine
from publisher.db.migrations import HERE, head
from publisher.report.registers import tables as _registers  # noqa: F401  (their tables live on the same metadata)
from publisher.db.schema import deliveries, events, item_revisions, items, metadata

def _context(conn) -> MigrationContext:
    """A migration context that leaves out the search index, which SQLAlchemy cannot describe (FTS5, pg_trgm)."""
    from publisher.db.search_index import NAMES

    def known(obj, name, type_, reflected, compare_to) -> bool:
        return not (name or "").startswith(NAMES)

    return MigrationContext.configure(conn, opts={"include_object": known})


RELEASE_DB = Path(__file__).parents[1] / "data" / "demo-2019-release-0.1.0.db.gz"


@pytest.fixture
def release_db(tmp_path) -> str:
    path = tmp_path / "publisher.db"
    with gzip.open(RELEASE_DB) as src, open(path, "wb") as out:
        shutil.copyfileobj(src, out)
    return f"sqlite:///{path}"


def _counts(engine) -> dict:
    with engine.connect() as conn:
        return {
            "items": conn.execute(select(func.count()).select_from(items)).scalar(),
            "published": conn.execute(select(func.count()).select_from(deliveries)
                                      .where(deliveries.c.status == "published")).scalar(),
            "deliveries": conn.execute(select(func.count()).select_from(deliveries)).scalar(),
            "events": conn.execute(select(func.count()).select_from(events)).scalar(),
            "titles": conn.execute(select(func.count(func.distinct(items.c.title)))).scalar(),
        }


def test_the_first_releases_demo_database_upgrades_with_nothing_lost(release_db):
    raw = create_engine(release_db)
    before = _counts(raw)
    with raw.connect() as conn:
        assert conn.execute(text("SELECT max(version) FROM schema_version")).scalar() == 2
    raw.dispose()
    engine = make_engine(release_db)
    try:
        assert _counts(engine) == before and before["published"] == 1124
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head()
            assert not inspect(conn).has_table("schema_version")
            assert conn.execute(select(func.count()).select_from(item_revisions)).scalar() == before["items"]
            assert set(conn.execute(select(items.c.review_state, items.c.office).distinct()).all()) == {("approved", "default")}
            checked, problem = audit.verify(conn)  # the old events now form the start of the audit chain
            assert problem is None and checked == before["events"]
            assert compare_metadata(_context(conn), metadata) == []
    finally:
        engine.dispose()


def test_a_version_1_database_is_upgraded_from_the_frozen_first_migration(db_url):
    from alembic import command
    from alembic.config import Config

    engine = make_engine(db_url, migrate_schema=False)
    with engine.begin() as conn:  # what the first release created at version 1, with an item in it
        cfg = Config()
        cfg.set_main_option("script_location", str(HERE))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"))
        conn.execute(text("INSERT INTO schema_version VALUES (1, CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO items (uid, title, category, body_html, summary, author, department, publish_at,"
                          " created_at, created_by, status, review_state, channel_options) VALUES ('u1', '旧条目', '其他',"
                          " '<p>x</p>', '', '', '', '2019-01-01 01:00:00', '2019-01-01 01:00:00', 'old', 'active',"
                          " 'approved', '{}')"))
    assert not inspect(engine).has_table("series_state")
    engine.dispose()

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert inspect(conn).has_table("series_state") and inspect(conn).has_table("users")
            assert conn.execute(select(items.c.title, items.c.revision, items.c.office)).all() == [("旧条目", 1, "default")]
            assert compare_metadata(_context(conn), metadata) == []
    finally:
        engine.dispose()


def test_a_fresh_database_matches_the_table_definitions(db_url):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(_context(conn), metadata) == []
    finally:
        engine.dispose()


def test_a_database_goes_back_to_the_first_releases_schema_and_up_again_keeping_its_items(db_url):
    from publisher.db.migrations import downgrade, migrate
    from publisher.ledger.store import Store

    store = Store.open(db_url)
    with store.transaction() as conn:
        store.insert_item(conn, title="往返条目", category="其他", body_html="<p>x</p>", publish_at=store.clock.now(),
                          channels=["website"], actor="test")
    downgrade(store.engine, "0002")
    with store.engine.connect() as conn:
        assert "office" not in {c["name"] for c in inspect(conn).get_columns("items")}
        assert not inspect(conn).has_table("users")
    migrate(store.engine)
    try:
        assert store.get_item(1)["title"] == "往返条目" and len(store.get_item(1)["deliveries"]) == 1
        with store.engine.connect() as conn:
            assert compare_metadata(_context(conn), metadata) == []
    finally:
        store.engine.dispose()
