"""Shared fixtures: an injectable clock, channel services, emulator servers on loopback."""

from __future__ import annotations

import os

os.environ["PUBLISHER_LANG"] = "en"  # tests assert English message ids; test_cli_languages.py runs Chinese too

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from publisher.adapter import ChannelServices
from publisher.runtime.channel_state import MemoryChannelState
from publisher.foundation.clock import SimulatedClock


@pytest.fixture
def clock() -> SimulatedClock:
    """A simulated clock at 2019-06-01 10:00 Asia/Shanghai."""
    return SimulatedClock(datetime(2019, 6, 1, 2, 0, tzinfo=timezone.utc))


@pytest.fixture
def services(clock) -> ChannelServices:
    """Channel services with in-memory state and the simulated clock."""
    return ChannelServices(clock=clock, state=MemoryChannelState(clock), timezone=ZoneInfo("Asia/Shanghai"))


# -- the longest test modules start first ------------------------------------------------------------------------

#: Test modules that take 15 s or more (``pytest --durations``), longest first. pytest-xdist hands each worker a
#: share of the tests in collection order and idle workers steal from the end of a busy one's queue, so a long test
#: collected last would run alone at the end; started first, the short tests fill in around it.
LONGEST_FIRST = (
    "ops/test_offline_bundle.py", "sandbox/test_demo.py", "web/test_every_page_as_each_role.py",
    "daemon/test_daemon.py", "docs/test_readme_commands.py", "web/test_journey_on_a_phone_and_a_laptop.py",
    "proofs/test_exactly_once_kill.py", "delivery/test_retry_after_fences_other_daemon_processes.py",
    "web/test_browser_console.py", "web/test_editor_in_the_browser.py", "web/test_api_http.py",
)


def pytest_collection_modifyitems(items):
    """Move the longest modules to the front, each whole and in its own order (module fixtures stay shared)."""
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}

    def place(item) -> int:
        path = item.nodeid.split("::", 1)[0].removeprefix("tests/")
        return rank.get(path, len(rank))

    items.sort(key=place)  # stable: every other test keeps its collection order


@pytest.fixture(autouse=True)
def _publisher_log_level():
    """``publisher demo`` run in-process quiets the ``publisher`` logger for the whole process: each test gets the
    level it found back, whichever test ran before it in its worker."""
    import logging

    log = logging.getLogger("publisher")
    level = log.level
    yield
    if log.level != level:
        log.setLevel(level)


# -- databases and apps ---------------------------------------------------------------------------
import functools
import os
import uuid
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

PG_BASE = os.environ.get("PUBLISHER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@functools.cache  # once per test process (each xdist worker asks once)
def _pg_available() -> bool:
    try:
        engine = create_engine(PG_BASE)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@functools.cache  # one engine per test process for creating and dropping the tests' schemas
def _pg_admin():
    return create_engine(PG_BASE, isolation_level="AUTOCOMMIT")


def _fresh_pg_schema():
    """Yield the URL of a new, empty PostgreSQL schema; drop it afterwards (fails in CI without a server)."""
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432 (CI must run these tests)")
        pytest.skip("PostgreSQL not running")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _pg_admin().connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    with _pg_admin().connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh empty database: SQLite in tmp, or a new PostgreSQL schema (required in CI)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'publisher.db'}"
    else:
        yield from _fresh_pg_schema()


@pytest.fixture
def pg_url():
    """A fresh empty PostgreSQL schema, for what only PostgreSQL does (several daemons)."""
    yield from _fresh_pg_schema()


@pytest.fixture
def sqlite_url(tmp_path):
    """A fresh SQLite database path."""
    return f"sqlite:///{tmp_path / 'publisher.db'}"


BASE_CATEGORIES = ["机构概况", "政策文件", "水质检测", "公示公告", "其他"]


def write_config(tmp_path: Path, db_url: str, channels: dict, *, routing: dict | None = None, **extra) -> Path:
    """Write a config file for tests and return its path."""
    doc = {
        "office": {"name": "测试县住房和城乡建设局", "short_name": "我局", "timezone": "Asia/Shanghai"},
        "database": {"url": db_url},
        "storage": {"attachments": str(tmp_path / "attachments")},
        "categories": list(BASE_CATEGORIES),
        "channels": channels,
        "routing": routing or {"default": list(channels)},
        "retry": {"max_attempts": 5, "base_delay": 10, "max_delay": 600, "jitter": 0.0, "lease": "2m"},
        # the engine's tests publish what they queue; review has its own tests (test_review_*_workflow.py …)
        "review": {"enabled": False},
        **extra,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def server(emulator):
    """Serve the test module's ``emulator`` fixture on a loopback port."""
    from publisher.sandbox.server import EmulatorServer

    with EmulatorServer(emulator) as running:
        yield running


@pytest.fixture
def cms_server():
    """A CMS emulator on a loopback port."""
    from channels.cms.emulator import CmsEmulator
    from publisher.sandbox.server import EmulatorServer

    with EmulatorServer(CmsEmulator(token="test-cms-token")) as server:
        yield server


@pytest.fixture
def make_app(tmp_path, clock):
    """Build an App from channel blocks over a given database; closes them afterwards."""
    from publisher.runtime.app import App
    from publisher.config.load import load_config

    apps = []

    def factory(db_url: str, channels: dict, **kwargs):
        path = write_config(tmp_path, db_url, channels, **kwargs)
        app = App.from_config(load_config(path), clock)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close()


def cms_block(server, **overrides) -> dict:
    """A `cms` channel block pointing at the emulator."""
    return {"type": "cms", "display_name": "测试网站平台", "base_url": server.url, "auth_token": "test-cms-token",
            "timeout": 2, **overrides}


SITE_PASSWORD = "sandbox-site-password"


def site_block(server, **overrides) -> dict:
    """The documented sandbox block of channels/resource_site/README.md, pointing at the emulator."""
    return {
        "type": "resource_site", "display_name": "公共资源交易中心网站", "base_url": server.url, "encoding": "gbk",
        "username": "editor", "password": SITE_PASSWORD, "concurrency": 1, "timeout": 5, "max_title_length": 100,
        "login": {"url": "/login.jsp", "form_selector": "form#loginForm",
                  "fields": {"username": "userName", "password": "userPwd"},
                  "success_selector": "a.logout", "error_selector": ".errmsg"},
        "submit": {"form_url": "/admin/notice_add.jsp", "form_selector": "form#noticeForm",
                   "fields": {"title": "title", "body": "content", "category": "category", "attachment": "attachment"},
                   "category_values": {"公示公告": "13"}, "default_category_value": "13",
                   "success_text": "保存成功", "error_selector": ".errmsg", "expired_form_text": "页面已过期"},
        "listing": {"url": "/notice/list.jsp?page={page}", "item_selector": "ul.notice-list > li",
                    "title_selector": "a", "title_attr": "title", "id_pattern": r"(\d+)\.jsp$", "pages": 3},
        "retract": {"form_url": "/admin/notice_del.jsp?id={id}", "form_selector": "form#delForm",
                    "success_text": "删除成功", "error_selector": ".errmsg", "gone_text": "公告不存在或已删除"},
        **overrides,
    }


def run_cli(config, *args: str, env: dict | None = None, input: str | None = None):
    """``publisher --config CONFIG ARGS`` in-process (``config=None``: ARGS alone); a user mistake must never end
    in a traceback. ``env`` adds to (or, with None values, removes from) the environment."""
    from click.testing import CliRunner

    from publisher.cli.main import main

    prefix = ["--config", str(config)] if config is not None else []
    result = CliRunner().invoke(main, [*prefix, *args], env={"PUBLISHER_CONFIG": None, **(env or {})}, input=input)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


# -- one migrated SQLite database per test process, copied into each new one ------------------------------------

_TEMPLATE: list[Path] = []


def _sqlite_template(tmp_path_factory) -> Path:
    """A SQLite database brought to the newest revision by the real migrations, once per test process."""
    if not _TEMPLATE:
        from publisher.db.engine import make_engine

        path = tmp_path_factory.mktemp("template") / "publisher.db"
        make_engine(f"sqlite:///{path}").dispose()
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


def _copy_sqlite_template(engine) -> bool:
    """Give an empty SQLite database the template's tables; False (nothing done) when it is not empty."""
    import sqlite3

    with engine.connect() as conn:
        target = conn.connection.driver_connection
        if target.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return False
        source = sqlite3.connect(_TEMPLATE[0])
        try:
            source.backup(target)
        finally:
            source.close()
    return True


# -- one migrated PostgreSQL schema per test process, its DDL replayed into each new schema ------------------------

_PG_PLACEHOLDER = "tpl_" + uuid.uuid4().hex  # the template schema's name, replaced by each new schema's
_PG_SESSION_LINES = ("\\", "SET ", "SELECT pg_catalog.set_config(", "CREATE SCHEMA ")


@functools.cache
def _pg_template_ddl() -> str | None:
    """The DDL (and the few rows) of a schema migrated by the real migrations, as ``pg_dump`` writes it, once per test
    process; None where ``pg_dump`` cannot dump this server (then every schema is migrated for real)."""
    import shutil
    import subprocess

    from sqlalchemy.engine import make_url

    from publisher.db.engine import make_engine
    from publisher.db.migrations import migrate  # the real one: the engine module's may be the patched one

    if not shutil.which("pg_dump"):
        return None
    with _pg_admin().connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {_PG_PLACEHOLDER}"))
    try:
        engine = make_engine(f"{PG_BASE}?options=-csearch_path%3D{_PG_PLACEHOLDER}", migrate_schema=False)
        migrate(engine)
        engine.dispose()
        url = make_url(PG_BASE)
        done = subprocess.run(["pg_dump", "--schema", _PG_PLACEHOLDER, "--inserts", "--no-owner", "--no-privileges",
                               "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
                               "-d", url.database], capture_output=True, text=True, timeout=60,
                              env={**os.environ, **({"PGPASSWORD": url.password} if url.password else {})})
    finally:
        with _pg_admin().connect() as conn:
            conn.execute(text(f"DROP SCHEMA {_PG_PLACEHOLDER} CASCADE"))
    if done.returncode != 0:
        return None
    return "\n".join(line for line in done.stdout.splitlines() if not line.startswith(_PG_SESSION_LINES))


def _replay_pg_template(engine) -> bool:
    """Create the migrated tables in an empty PostgreSQL schema from the template's DDL; False (nothing done) when
    the schema is not empty, is ``public``, or there is no template."""
    from publisher.db.migrations import PG_MIGRATION_LOCK

    ddl = _pg_template_ddl()
    if ddl is None:
        return False
    with engine.connect() as conn, conn.begin():
        conn.execute(text(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})"))  # as the real migrations take it
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        if schema in (None, "public") or conn.execute(text(
                "SELECT count(*) FROM pg_class WHERE relnamespace = CAST(current_schema() AS regnamespace)")).scalar():
            return False
        conn.connection.driver_connection.execute(ddl.replace(_PG_PLACEHOLDER, schema).encode())
    return True


@pytest.fixture(autouse=True)
def _new_databases_from_the_template(request, monkeypatch, tmp_path_factory):
    """A new, empty database is given the migrated template's tables (SQLite: the backup API; PostgreSQL: the DDL
    ``pg_dump`` wrote for a migrated schema) instead of running every migration again: the same schema in a fraction
    of the time. Tests of the migrations themselves are marked ``real_migrations`` (and any database that is not
    empty is migrated for real)."""
    if request.node.get_closest_marker("real_migrations"):
        return
    import publisher.db.engine as engine_module
    from publisher.db.migrations import head

    real = engine_module.migrate
    if not _TEMPLATE:
        _sqlite_template(tmp_path_factory)  # before the patch: the template itself is made by the real migrations

    def migrate(engine, **kwargs):
        copy = {"sqlite": _copy_sqlite_template, "postgresql": _replay_pg_template}.get(engine.dialect.name)
        if copy is not None and copy(engine):
            return head()
        return real(engine, **kwargs)

    monkeypatch.setattr(engine_module, "migrate", migrate)
