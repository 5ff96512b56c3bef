"""Upgrades only by `publisher migrate`; reports never create a database; the PostgreSQL driver is an extra;
shell completion (issue 12, part 6)."""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.real_migrations  # what a command does to a new, empty or old database
from click.testing import CliRunner
from sqlalchemy import inspect

from conftest import write_config
from publisher.cli.main import main
from conftest import run_cli as cli

RELEASE_DB = Path(__file__).parents[1] / "data" / "demo-2019-release-0.1.0.db.gz"


def office(tmp_path, db: Path):
    blocks = {"feed": {"type": "rss", "output": str(tmp_path / "feed.xml"), "site_url": "http://www.example.gov.cn"}}
    return write_config(tmp_path, f"sqlite:///{db}", blocks)


@pytest.fixture
def old_database(tmp_path) -> Path:
    path = tmp_path / "old.db"
    with gzip.open(RELEASE_DB) as src, open(path, "wb") as out:
        shutil.copyfileobj(src, out)
    return path


@pytest.mark.parametrize("args", [["queue", "list"], ["tally", "--year", "2019"], ["run", "--once"]])
def test_a_command_on_an_older_schema_says_to_run_migrate_and_changes_nothing(tmp_path, old_database, args):
    config = office(tmp_path, old_database)
    before = old_database.read_bytes()
    result = cli(config, *args)
    assert result.exit_code == 2
    assert "publisher migrate" in result.stderr
    assert old_database.read_bytes() == before


def test_migrate_upgrades_and_then_commands_run(tmp_path, old_database):
    config = office(tmp_path, old_database)
    assert cli(config, "migrate").exit_code == 0
    result = cli(config, "tally", "--year", "2019", "--json")
    assert result.exit_code == 0, result.output


def test_a_new_database_is_created_by_the_first_command(tmp_path):
    db = tmp_path / "new" / "publisher.db"
    config = office(tmp_path, db)
    assert cli(config, "queue", "add", "--title", "第一条", "--category", "其他").exit_code == 0
    assert db.exists()


@pytest.mark.parametrize("args", [["tally", "--year", "2019"], ["report", "--year", "2019"]])
def test_tally_and_report_on_a_missing_database_warn_and_create_nothing(tmp_path, args):
    db = tmp_path / "typo.db"
    config = office(tmp_path, db)
    result = cli(config, *args)
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "typo.db" in result.stderr
    assert not db.exists()


def test_tally_on_an_empty_database_warns_and_leaves_it_empty(tmp_path):
    db = tmp_path / "empty.db"
    db.touch()
    config = office(tmp_path, db)
    result = cli(config, "tally", "--year", "2019")
    assert result.exit_code == 0 and "is empty" in result.stderr
    assert db.stat().st_size == 0


def test_a_postgresql_url_without_the_driver_names_the_extra(tmp_path, monkeypatch):
    config = write_config(tmp_path, "postgresql+psycopg://u@127.0.0.1/x",
                          {"feed": {"type": "rss", "output": "f.xml", "site_url": "http://www.example.gov.cn"}})
    for name in [m for m in sys.modules if m == "psycopg" or m.startswith("psycopg.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if `pip install publisher` without the extra
    result = cli(config, "check-config")
    assert result.exit_code == 2 and "publisher[postgresql]" in result.stderr


def test_item_ids_are_64_bit_on_postgresql(pg_url):
    from publisher.db.engine import make_engine

    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            columns = {c["name"]: c["type"] for c in inspect(conn).get_columns("items")}
            assert columns["id"].python_type is int and "BIGINT" in str(columns["id"]).upper()
            deliveries = {c["name"]: c["type"] for c in inspect(conn).get_columns("deliveries")}
            assert "BIGINT" in str(deliveries["item_id"]).upper()
    finally:
        engine.dispose()


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o"), ("zsh", "compdef")])
def test_shell_completion_scripts(shell, marker):
    result = CliRunner().invoke(main, ["completion", shell])
    assert result.exit_code == 0 and marker in result.stdout and "_PUBLISHER_COMPLETE" in result.stdout
