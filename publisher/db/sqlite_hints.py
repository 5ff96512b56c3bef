"""SQLite honours ``Select.with_hint(table, "INDEXED BY ix_name", "sqlite")`` (SQLAlchemy renders no table hints
for SQLite by itself).

Without ANALYZE statistics SQLite looks a joined row up by its rowid even when a covering index would spare it
reading the row; a hint names the index. Other dialects ignore a hint given for "sqlite".
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.ext.compiler import compiles


@compiles(Table, "sqlite")
def _table_with_hint(table, compiler, fromhints=None, **kw):
    text = compiler.visit_table(table, fromhints=fromhints, **kw)
    hint = fromhints.get(table) if fromhints else None
    return f"{text} {hint}" if hint and text else text
