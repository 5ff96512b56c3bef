"""Search the way staff type: a 简称 finds its 全称 (公租房 → 公共租赁住房) and back, over title, body, 文号 and
索引号, through the substring index of :mod:`publisher.db.search_index`; when nothing matches that way, the
query's characters in order in the title (租补 → 租赁补贴).

Three or more characters are looked up in the index; shorter terms read the titles, 文号 and 索引号 only.
"""

from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import ColumnElement, bindparam, column, false, literal_column, or_, select, table, text

from publisher.db.schema import items
from publisher.db.search_index import PG_DOCUMENT

#: 简称 → 全称 every office uses (config ``search.abbreviations`` adds the office's own; ``search.builtin: false``
#: leaves these out)
BUILTIN: dict[str, tuple[str, ...]] = {
    "公租房": ("公共租赁住房",),
    "廉租房": ("廉租住房",),
    "经适房": ("经济适用住房",),
    "保障房": ("保障性住房",),
    "棚改": ("棚户区改造",),
    "公积金": ("住房公积金",),
    "政府信息公开": ("政务公开",),
    "依申请": ("依申请公开",),
    "双随机": ("双随机、一公开",),
    "营商环境": ("优化营商环境",),
    "安置房": ("拆迁安置房", "安置住房"),
    "老旧小区": ("老旧小区改造",),
}
INDEXED_MIN = 3  # the trigram index answers substrings of at least three characters
FUZZY_MAX = 12  # longer queries are not matched character by character


def abbreviations(builtin: bool, office: dict[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """The table in use: the built-in one (unless switched off) with the office's entries added."""
    table_: dict[str, tuple[str, ...]] = dict(BUILTIN) if builtin else {}
    for short, full in (office or {}).items():
        fulls = (full,) if isinstance(full, str) else tuple(full)
        table_[short.strip()] = tuple(dict.fromkeys(table_.get(short.strip(), ()) + tuple(f.strip() for f in fulls)))
    return table_


def alternatives(query: str, table_: dict[str, tuple[str, ...]]) -> list[str]:
    """The query and every spelling of it the table gives (each 简称 in it written out, each 全称 shortened)."""
    found = [query]
    for short, fulls in table_.items():
        for spelling in list(found):
            if short in spelling:
                found.extend(spelling.replace(short, full) for full in fulls if short not in full)
            for full in fulls:
                if full in spelling:
                    found.append(spelling.replace(full, short))
    return list(dict.fromkeys(found))[:16]


def _escaped(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _short_match(term: str) -> ColumnElement:
    pattern = f"%{_escaped(term)}%"
    return or_(items.c.title.like(pattern, escape="\\"), items.c.doc_no.like(pattern, escape="\\"),
               items.c.index_no.like(pattern, escape="\\"))


_FTS = table("items_search", column("rowid"))


def _indexed_match(term: str, dialect: str) -> ColumnElement:
    return literal_column(PG_DOCUMENT).like(f"%{_escaped(term)}%", escape="\\")


def _fts_match(terms: list[str]) -> ColumnElement:
    """One FTS5 query for all the terms (a single ``rowid IN``, which SQLite answers from the index)."""
    phrases = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
    match = text("items_search MATCH :phrases").bindparams(bindparam("phrases", phrases, unique=True))
    return items.c.id.in_(select(_FTS.c.rowid).where(match))


def matching(query: str, table_: dict[str, tuple[str, ...]], dialect: str) -> ColumnElement:
    """Items whose title, body, 文号 or 索引号 hold the query or one of its spellings (or whose id it is)."""
    terms = alternatives(query, table_)
    indexed = [t for t in terms if len(t) >= INDEXED_MIN]
    if dialect == "sqlite":
        found = [_fts_match(indexed)] if indexed else []
    else:
        found = [_indexed_match(t, dialect) for t in indexed]
    found += [_short_match(t) for t in terms if len(t) < INDEXED_MIN]
    if query.isdecimal() and len(query) < 10:
        found.append(items.c.id == int(query))
    return or_(*found)


def scans(query: str, table_: dict[str, tuple[str, ...]], in_order_: bool) -> bool:
    """Whether the search reads titles one by one (a term shorter than a trigram, or characters in order)."""
    return in_order_ or any(len(t) < INDEXED_MIN for t in alternatives(query, table_))


def in_order(query: str) -> ColumnElement:
    """Items whose title holds the query's characters in order, anything between (租补 → 租赁补贴)."""
    chars = [c for c in query if not c.isspace()]
    if not 2 <= len(chars) <= FUZZY_MAX:
        return false()
    return items.c.title.like("%" + "%".join(_escaped(c) for c in chars) + "%", escape="\\")


def spellings(query: str, table_: dict[str, tuple[str, ...]]) -> Iterable[str]:
    """The other spellings searched besides the query itself (for the page to say what it looked for)."""
    return [t for t in alternatives(query, table_) if t != query]


def office_table(config: Any) -> dict[str, tuple[str, ...]]:
    """The abbreviation table of a configuration (``search:``)."""
    return abbreviations(config.search.builtin, config.search.abbreviations)
