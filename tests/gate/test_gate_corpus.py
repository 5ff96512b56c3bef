"""Precision and recall of the gate per kind over the shipped corpus of disclosure texts (tests/data/gate)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from publisher.gate import FindingKind, load_terms
from publisher.gate.htmltext import body_text
from publisher.gate.scan import scan

CORPUS = Path(__file__).parents[1] / "data" / "gate" / "corpus.jsonl"


def _nth(text: str, needle: str, n: int) -> int:
    start = text.find(needle)
    for _ in range(n):
        start = text.find(needle, start + 1)
    assert start >= 0, f"label {needle!r} #{n} not in the text"
    return start


def evaluate(docs: list[dict]) -> tuple[Counter, Counter, Counter, list[str]]:
    terms = load_terms()
    true, false, missed = Counter(), Counter(), Counter()
    notes: list[str] = []
    for doc in docs:
        title, body = doc["title"], body_text(doc["body"]).text
        text = title + "\n" + body
        hits = [(h.kind, h.start, h.end) for h in scan(title, terms)]
        hits += [(h.kind, h.start + len(title) + 1, h.end + len(title) + 1) for h in scan(body, terms)]
        unmatched = list(hits)
        for kind, needle, n in doc["expected"]:
            start = _nth(text, needle, n)
            end = start + len(needle)
            match = next((h for h in unmatched if h[0] == kind and h[1] < end and start < h[2]), None)
            if match is None:
                missed[kind] += 1
                notes.append(f"{doc['id']}: missed {kind} {needle!r}")
            else:
                true[kind] += 1
                unmatched.remove(match)
        for kind, start, end in unmatched:
            false[str(kind)] += 1
            notes.append(f"{doc['id']}: false alarm {kind} {text[max(0, start - 8):end + 8]!r}")
    return true, false, missed, notes


@pytest.fixture(scope="module")
def measured():
    docs = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return docs, evaluate(docs)


def test_corpus_has_at_least_200_labelled_documents(measured):
    docs, _ = measured
    assert len(docs) >= 200
    # accessibility (markup, not text) and the external service's findings have their own tests (tests/inspection/)
    text_kinds = {str(k) for k in FindingKind} - {FindingKind.ACCESSIBILITY.value, FindingKind.EXTERNAL.value}
    assert {kind for doc in docs for kind, _, _ in doc["expected"]} == text_kinds


def test_precision_and_recall_per_kind_are_at_least_98_percent(measured):
    docs, (true, false, missed, notes) = measured
    print(f"\ngate corpus: {len(docs)} documents")
    print(f"{'kind':<15}{'true':>6}{'false':>7}{'missed':>8}{'precision':>11}{'recall':>8}")
    worst = []
    for kind in FindingKind:
        t, f, m = true[kind], false[kind], missed[kind]
        precision = t / (t + f) if t + f else 1.0
        recall = t / (t + m) if t + m else 1.0
        worst.append((kind, precision, recall))
        print(f"{kind:<15}{t:>6}{f:>7}{m:>8}{precision:>11.3f}{recall:>8.3f}")
    t, f, m = sum(true.values()), sum(false.values()), sum(missed.values())
    print(f"{'all':<15}{t:>6}{f:>7}{m:>8}{t / (t + f):>11.3f}{t / (t + m):>8.3f}")
    for note in notes:
        print("  " + note)
    for kind, precision, recall in worst:
        assert precision >= 0.98, (kind, precision, notes)
        assert recall >= 0.98, (kind, recall, notes)
