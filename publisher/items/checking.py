"""The gate applied to stored items: check an item again, mask it on request, show findings as people read them.

Running the gate and storing its findings is :mod:`publisher.items.gate_runs` (re-exported here).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import Connection, select

from publisher.runtime.app import App
from publisher.ledger.blobs import blob_path
from publisher.db.engine import reading
from publisher.gate import mask_item
from publisher.foundation.i18n import _, shown
from publisher.accounts.scope import item_in_office
from publisher.items.gate_runs import record, run, terms
from publisher.db.schema import attachments
from publisher.accounts.users import Actor


__all__ = ["check_stored_item", "mask_stored_item", "record", "run", "shown_field", "shown_finding", "stored_files",
           "terms"]


def shown_field(field: str) -> str:
    """A finding's field as people read it: 正文, 附件 名单.xlsx … (stored as body, attachment:名单.xlsx)."""
    if field.startswith("attachment:"):
        return _("attachment {name}").format(name=field.split(":", 1)[1])
    if field.startswith("option:"):
        return _("channel option {name}").format(name=field.split(":", 1)[1])
    return _(field)


def shown_finding(finding: dict) -> dict:
    """A finding as people read it: its kind, field, place and suggestion in the current language (stored in
    English)."""
    return {**finding, "kind": _(finding["kind"]), "field": shown_field(finding["field"]),
            "where": shown(finding["where"]), "suggestion": shown(finding.get("suggestion"))}


def stored_files(app: App, conn: Connection, item_id: int) -> list[tuple[str, Path]]:
    """The item's attached (not inline) files, as (name, path in the content store)."""
    rows = conn.execute(select(attachments).where(attachments.c.item_id == item_id, attachments.c.inline.is_(False))
                        .order_by(attachments.c.id)).mappings()
    return [(r["filename"], blob_path(app.config.attachments_dir, r["sha256"])) for r in rows]


def check_stored_item(app: App, actor: Actor, item_id: int) -> dict:
    """Run the gate again on an item's current revision, store and return ``{"findings", "unchecked"}``."""
    with reading(app.store.engine) as conn:
        row = item_in_office(conn, actor, item_id)
        files = stored_files(app, conn, item_id)
    result = run(app, title=row["title"], summary=row["summary"], body_html=row["body_html"], files=files,
                 department=row["department"], author=row["author"], options=row["channel_options"])
    with app.store.transaction() as conn:
        record(conn, item_id, row["revision"], result)
    return result.to_json()


def mask_stored_item(app: App, actor: Actor, item_id: int, *, leave: list[str] | None = None) -> dict:
    """Replace the item's text and rewritable attachments by de-identified copies (a new revision); ``leave`` as
    for :func:`publisher.editing.edit_item`."""
    from publisher.items.editing import edit_item

    with reading(app.store.engine) as conn:
        row = item_in_office(conn, actor, item_id)
        files = stored_files(app, conn, item_id)
    with tempfile.TemporaryDirectory(prefix="publisher-mask-") as tmp:
        masked = mask_item(title=row["title"], summary=row["summary"], body_html=row["body_html"],
                           attachments=files, out_dir=Path(tmp))
        if not masked.masked:
            return {"masked": 0, "revision": row["revision"], "not_masked": masked.not_masked,
                    **check_stored_item(app, actor, item_id)}
        shown = edit_item(app, actor, item_id, title=masked.title, summary=masked.summary, body=masked.body_html,
                          attach=[str(p) for _, p in masked.attachments], reason="mask", leave=leave)
    return {"masked": masked.masked, "revision": shown["revision"], "not_masked": masked.not_masked,
            "findings": shown["findings"], "unchecked": shown["unchecked"]}
