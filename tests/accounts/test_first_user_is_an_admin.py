"""The first user must be an admin: while no admin exists `user add` refuses every other role, so an office can
never lock itself out of user administration (an editor first used to make every later `user add` exit 3)."""

from __future__ import annotations

from conftest import run_cli, write_config


def test_while_no_admin_exists_only_an_admin_can_be_added(tmp_path, db_url):
    config = write_config(tmp_path, db_url, {"feed": {"type": "rss", "output": str(tmp_path / "rss.xml"),
                                                      "site_url": "http://127.0.0.1/"}})
    refused = run_cli(config, "user", "add", "zhang", "--role", "editor")
    assert refused.exit_code == 3 and "first_admin" in refused.output and "--role admin" in refused.output
    assert run_cli(config, "user", "add", "admin", "--role", "admin").exit_code == 0
    assert run_cli(config, "--as", "admin", "user", "add", "zhang", "--role", "editor").exit_code == 0
    again = run_cli(config, "user", "add", "other", "--role", "admin")  # the OS account: only before any admin
    assert again.exit_code == 3


def test_an_office_without_an_admin_from_an_earlier_release_can_add_one(tmp_path, sqlite_url):
    from publisher.accounts.users import add_user
    from publisher.config.load import load_config
    from publisher.ledger.store import Store

    config = write_config(tmp_path, sqlite_url, {"feed": {"type": "rss", "output": str(tmp_path / "rss.xml"),
                                                          "site_url": "http://127.0.0.1/"}})
    store = Store.open(load_config(config).database_url)
    add_user(store, "zhang", "editor", "default")  # the trap: an editor first
    store.engine.dispose()
    assert run_cli(config, "user", "add", "admin", "--role", "admin").exit_code == 0
    assert run_cli(config, "--as", "admin", "user", "add", "li", "--role", "reviewer").exit_code == 0
