"""错敏词: the term list (wrong → right formulations, sensitive terms), the shipped starter list and the office's own.

An office list (YAML or CSV) adds entries, replaces a starter entry by using its id, and disables starter
entries by id. Every problem in it is reported with its line.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from publisher.foundation.content import decode_text
from publisher.errors import ConfigError, InputError
from publisher.gate.findings import FindingKind
from publisher.gate.hits import Hit

_ENTRY_KEYS = {"id", "word", "pattern", "right", "note", "except", "sensitive", "category"}

#: The categories the inspections sort 错敏词 by (an entry may name another; these are the ones the list ships).
CATEGORIES = ("领导人姓名与职务", "机构名称", "行政区划", "时政表述", "已落马官员")


@dataclass(frozen=True)
class Term:
    """One entry: a literal word or a regex, the right wording (None for a sensitive term) and why."""

    id: str
    regex: re.Pattern[str]
    right: str | None = None
    note: str | None = None
    exceptions: tuple[str, ...] = ()
    category: str | None = None  # 领导人姓名与职务, 机构名称 … (:data:`CATEGORIES`)

    @property
    def suggestion(self) -> str | None:
        return self.right or self.note

    def find(self, text: str) -> list[tuple[int, int]]:
        spans = []
        for m in self.regex.finditer(text):
            if m.end() > m.start() and not self._excepted(text, m.start(), m.end()):
                spans.append((m.start(), m.end()))
        return spans

    def _excepted(self, text: str, start: int, end: int) -> bool:
        for phrase in self.exceptions:
            lo = max(0, end - len(phrase))
            for m in re.finditer(re.escape(phrase), text[lo:start + len(phrase)]):
                if lo + m.start() <= start and lo + m.end() >= end:
                    return True
        return False


@dataclass
class TermList:
    """The terms in force, in order; ``disabled`` are the ids turned off by the office."""

    terms: list[Term] = field(default_factory=list)
    disabled: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.terms)

    def ids(self) -> list[str]:
        return [t.id for t in self.terms]

    def fingerprint_parts(self) -> list[str]:
        """What decides the list's findings, one line per term (for the re-scan's fingerprint)."""
        return [f"{t.id}\x1f{t.regex.pattern}\x1f{t.right or ''}\x1f{'|'.join(t.exceptions)}" for t in self.terms]

    def find(self, text: str) -> list[Hit]:
        """Every term hit in ``text``, in order, none overlapping (the longer of two overlapping hits wins)."""
        found = [(s, e, t) for t in self.terms for s, e in t.find(text)]
        found.sort(key=lambda x: (x[0], -(x[1] - x[0])))
        hits: list[Hit] = []
        for start, end, term in found:
            if hits and start < hits[-1].end:
                continue
            hits.append(Hit(FindingKind.TERM, start, end, suggestion=term.suggestion))
        return hits

    def merged(self, office: "OfficeTerms") -> "TermList":
        """This list with the office's entries added (same id replaces) and its disabled ids removed."""
        by_id = {t.id: t for t in self.terms}
        for term in office.terms:
            by_id[term.id] = term
        unknown = sorted(set(office.disabled) - set(by_id))
        if unknown:
            raise ConfigError([f"disable: no term with id {', '.join(map(repr, unknown))}"], office.source)
        disabled = frozenset(office.disabled)
        return TermList([t for i, t in by_id.items() if i not in disabled], disabled)


@dataclass
class OfficeTerms:
    """What an office's file says: entries and ids to disable."""

    terms: list[Term]
    disabled: list[str]
    source: str


def make_term(entry: dict, where: str) -> Term:
    """Build one term from a mapping; ValueError names what is wrong (``where`` is prefixed by the caller)."""
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (expected word, pattern, right, note, id, except, category)")
    word, pattern = _text(entry, "word"), _text(entry, "pattern")
    if bool(word) == bool(pattern):
        raise ValueError("give either 'word' or 'pattern'")
    try:
        regex = re.compile(pattern) if pattern else re.compile(re.escape(word))
    except re.error as exc:
        raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
    if regex.search("") is not None:
        raise ValueError("pattern matches empty text")
    right, note = _text(entry, "right"), _text(entry, "note")
    exceptions = entry.get("except") or []
    if isinstance(exceptions, str):
        exceptions = [exceptions]
    if not isinstance(exceptions, list) or not all(isinstance(x, str) and x for x in exceptions):
        raise ValueError("'except' must be a list of phrases")
    term_id = _text(entry, "id") or word or right
    if not term_id:
        raise ValueError("a pattern without 'right' needs an 'id'")
    return Term(term_id, regex, right or None, note or None, tuple(exceptions), _text(entry, "category") or None)


def _text(entry: dict, key: str) -> str:
    value = entry.get(key)
    if value is None:
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ValueError(f"'{key}' must be text")
    return str(value).strip()


def parse_yaml_terms(text: str, source: str) -> OfficeTerms:
    """Parse the YAML form: ``terms: [{word|pattern, right, note, id, except}]`` and ``disable: [id]``."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise ConfigError([f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"], source) from None
    if data is None:
        return OfficeTerms([], [], source)
    if not isinstance(data, dict) or set(data) - {"terms", "disable"}:
        raise ConfigError(["line 1: expected a mapping with 'terms' and/or 'disable'"], source)
    nodes = {key.value: value for key, value in root.value}
    entries, problems = data.get("terms") or [], []
    if not isinstance(entries, list):
        raise ConfigError([f"line {nodes['terms'].start_mark.line + 1}: terms: expected a list"], source)
    terms: list[Term] = []
    for index, entry in enumerate(entries):
        line = nodes["terms"].value[index].start_mark.line + 1
        try:
            if not isinstance(entry, dict):
                raise ValueError("expected a mapping with word or pattern")
            terms.append(make_term(entry, f"terms[{index}]"))
        except ValueError as exc:
            problems.append(f"line {line}: terms[{index}]: {exc}")
    disabled = data.get("disable") or []
    if isinstance(disabled, str):
        disabled = [disabled]
    if not isinstance(disabled, list) or not all(isinstance(x, str) for x in disabled):
        problems.append(f"line {nodes['disable'].start_mark.line + 1}: disable: expected a list of term ids")
        disabled = []
    if problems:
        raise ConfigError(problems, source)
    return OfficeTerms(terms, disabled, source)


def parse_csv_terms(text: str, source: str) -> OfficeTerms:
    """Parse the CSV form: header ``word,right,note`` (optional ``pattern``, ``id``, ``category``, ``action``).

    A row with ``action`` = ``disable`` turns off the starter entry named by its ``id`` (or ``word``).
    """
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    allowed = {"word", "pattern", "right", "note", "id", "category", "action"}
    if not header or not ({"word", "pattern"} & set(header)) or set(header) - allowed:
        raise ConfigError([f"line 1: header must name word (or pattern), right, note, and optionally id, category, action; "
                           f"got {','.join(header) or 'nothing'}"], source)
    reader.fieldnames = header
    terms, disabled, problems = [], [], []
    for row in reader:
        line = reader.line_num
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(row.values()):
            continue
        action = row.pop("action", "").lower()
        if action == "disable":
            name = row.get("id") or row.get("word")
            if name:
                disabled.append(name)
            else:
                problems.append(f"line {line}: a disable row needs id or word")
            continue
        if action not in ("", "add"):
            problems.append(f"line {line}: action must be add or disable, not {action!r}")
            continue
        try:
            terms.append(make_term({k: v for k, v in row.items() if v}, f"line {line}"))
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        raise ConfigError(problems, source)
    return OfficeTerms(terms, disabled, source)


def starter_terms() -> TermList:
    """The list shipped in ``publisher/gate/data/terms.yaml``."""
    return TermList(list(_shipped_terms()))


@functools.cache  # the file ships with the package: parsed once per process, not at every gate run
def _shipped_terms() -> tuple[Term, ...]:
    text = resources.files("publisher.gate").joinpath("data/terms.yaml").read_text(encoding="utf-8")
    return tuple(parse_yaml_terms(text, "publisher/gate/data/terms.yaml").terms)


def load_terms(office_file: Path | None = None, *, starter: bool = True) -> TermList:
    """The starter list, with the office's own list (YAML or CSV, UTF-8 or GBK) merged in when given.

    ``starter=False`` uses the office's list alone.
    """
    terms = starter_terms() if starter else TermList()
    if office_file is None:
        return terms
    office_file = Path(office_file)
    source = str(office_file)
    try:
        data = office_file.read_bytes()
    except OSError as exc:
        raise ConfigError([f"cannot read the term list: {exc.strerror}"], source) from None
    try:
        text = decode_text(data, source=source)
    except InputError as exc:
        raise ConfigError([str(exc)], source) from None
    if office_file.suffix.lower() == ".csv":
        office = parse_csv_terms(text, source)
    elif office_file.suffix.lower() in (".yaml", ".yml"):
        office = parse_yaml_terms(text, source)
    else:
        raise ConfigError(["a term list is a .yaml, .yml or .csv file"], source)
    return terms.merged(office)
