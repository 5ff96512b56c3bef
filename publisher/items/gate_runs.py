"""The gate run on an item's text and files, and its findings stored per revision (at queue and edit time)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, delete, insert, update

from publisher.runtime.app import App
from publisher.gate import GateResult, TermList, check_item, load_terms
from publisher.db.schema import gate_findings, items
from publisher.ledger import audit
from publisher.ledger.event_kinds import EventKind


def terms(app: App) -> TermList:
    """The office's term list (the shipped starter list and ``gate.terms_file``), read once per App."""
    cached = getattr(app, "_gate_terms", None)
    if cached is None:
        settings = app.config.gate
        cached = load_terms(getattr(settings, "terms_file", None),
                            starter=getattr(settings, "use_starter_terms", True))
        app._gate_terms = cached
    return cached


def forget_terms(app: App) -> None:
    """Read the term list again on next use (the office changed its file)."""
    app.__dict__.pop("_gate_terms", None)


def run(app: App, *, title: str, summary: str, body_html: str, files: list[tuple[str, Path]],
        department: str = "", author: str = "", options: dict | None = None) -> GateResult:
    """The gate over every published field of an item and its attachment files (name, path)."""
    settings = app.config.gate
    fields = published_fields(department, author, options)
    result = check_item(title=title, summary=summary, body_html=body_html, attachments=files, terms=terms(app),
                        limits=getattr(settings, "limits", None), fields=fields)
    if getattr(settings, "accessibility", "off") != "off":
        from publisher.gate.accessibility import check_accessibility

        result.findings += check_accessibility(body_html)
    if getattr(settings, "external", None) is not None:
        from publisher.items.external_check import ask

        verdict = ask(settings.external, title=title, summary=summary, body_html=body_html, fields=fields)
        result.findings += verdict.findings
        result.external = {**verdict.to_json(), "at": app.clock.now().isoformat()}
    return result


def published_fields(department: str, author: str, options: dict | None) -> dict[str, str]:
    """The text an item publishes besides title, summary and body: department, author and every text in the
    per-channel options (a short title, a digest ...), as ``option:CHANNEL.KEY``."""
    fields = {"department": department or "", "author": author or ""}
    for channel, given in sorted((options or {}).items()):
        for key, value in sorted((given or {}).items()) if isinstance(given, dict) else ():
            if isinstance(value, str):
                fields[f"option:{channel}.{key}"] = value
    return {name: text for name, text in fields.items() if text}


def record(conn: Connection, item_id: int, revision: int, result: GateResult) -> None:
    """Store a revision's findings (replacing any earlier run on the same revision)."""
    conn.execute(delete(gate_findings).where(gate_findings.c.item_id == item_id,
                                             gate_findings.c.revision == revision))
    rows = [{"item_id": item_id, "revision": revision, "kind": f.kind.value, "field": f.field[:600],
             "location": f.where[:200], "text": f.text, "suggestion": f.suggestion} for f in result.findings]
    if rows:
        conn.execute(insert(gate_findings), rows)
    conn.execute(update(items).where(items.c.id == item_id).values(gate_unchecked=list(result.unchecked)))
    if result.external is not None:  # the service's verdict, in the audit chain beside the findings it gave
        from datetime import datetime

        verdict = {k: v for k, v in result.external.items() if k != "at" and v is not None}
        audit.append(conn, [{"at": datetime.fromisoformat(result.external["at"]), "item_id": item_id,
                             "kind": EventKind.EXTERNAL_CHECK.value, "actor": "gate",
                             "detail": {**verdict, "revision": revision}}])
