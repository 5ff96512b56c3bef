"""`audit verify` notices the two attacks a plain hash chain misses: deleting the last events, and rewriting an
event and recomputing every later hash (the key and the checkpoints live outside the database)."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from conftest import run_cli, write_config
from publisher.config.load import load_config
from publisher.db.schema import events
from publisher.items.intake import ItemRequest, queue_one
from publisher.ledger.audit import GENESIS, event_hash
from publisher.runtime.app import App

KEY = {"PUBLISHER_AUDIT_KEY": "office-audit-key-kept-outside-the-database"}


def _ledger(tmp_path, db_url, clock, monkeypatch) -> tuple:
    monkeypatch.setenv(*next(iter(KEY.items())))
    config = write_config(tmp_path, db_url, {"feed": {"type": "rss", "output": str(tmp_path / "rss.xml"),
                                                      "site_url": "https://www.example.gov.cn"}})
    app = App.from_config(load_config(config), clock)
    for n in range(4):
        queue_one(app, ItemRequest(title=f"动态{n}", category="公示公告", body="<p>正文</p>"))
    return config, app


def test_deleting_the_last_events_is_noticed(db_url, tmp_path, clock, monkeypatch):
    config, app = _ledger(tmp_path, db_url, clock, monkeypatch)
    assert run_cli(config, "audit", "verify", env=KEY).exit_code == 0  # writes a checkpoint of the head
    with app.store.engine.begin() as conn:
        last = conn.execute(select(events.c.seq).order_by(events.c.seq.desc())).scalars().first()
        conn.execute(delete(events).where(events.c.seq >= last - 1))
    app.close()
    result = run_cli(config, "audit", "verify", env={**KEY, "PUBLISHER_LANG": "en"})
    assert result.exit_code == 1
    assert "the last events were removed" in result.output


def test_rewriting_an_event_and_recomputing_the_later_hashes_is_noticed(db_url, tmp_path, clock, monkeypatch):
    config, app = _ledger(tmp_path, db_url, clock, monkeypatch)
    with app.store.engine.begin() as conn:
        rows = [dict(r) for r in conn.execute(select(events).order_by(events.c.seq)).mappings()]
        rows[1]["actor"] = "someone-else"
        previous = GENESIS
        for row in rows:  # the attacker recomputes every hash, but cannot make the seals without the key
            previous = event_hash(previous, row)
            conn.execute(update(events).where(events.c.id == row["id"]).values(actor=row["actor"], hash=previous))
    app.close()
    result = run_cli(config, "audit", "verify", env={**KEY, "PUBLISHER_LANG": "en"})
    assert result.exit_code == 1
    assert "does not carry the audit key's seal" in result.output
    assert f"event {rows[1]['id']} " in result.output


def test_an_intact_chain_verifies_with_the_key(db_url, tmp_path, clock, monkeypatch):
    config, app = _ledger(tmp_path, db_url, clock, monkeypatch)
    app.close()
    assert run_cli(config, "audit", "verify", env=KEY).exit_code == 0
    assert run_cli(config, "audit", "verify", env=KEY).exit_code == 0
    assert (tmp_path / "audit-checkpoints.jsonl").read_text().count("\n") == 2
