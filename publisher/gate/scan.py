"""Run every detector over one string and turn the hits into findings with a place and a masked excerpt."""

from __future__ import annotations

import bisect

from publisher.foundation.i18n import N_
from publisher.gate.findings import Finding, FindingKind
from publisher.gate.hits import Hit
from publisher.gate.invisible import strip_invisible
from publisher.gate.markings import find_markings
from publisher.gate.personal import find_personal, mask_personal
from publisher.gate.terms import TermList

CLASSIFICATION_HINT = "密级标志：确认已解密并经保密审查，否则不得公开"
EXCERPT_CONTEXT = 12


def scan(text: str, terms: TermList | None) -> list[Hit]:
    """Markings, personal data and term hits in ``text``, in order of position."""
    hits = find_markings(text) + find_personal(text)
    if terms is not None:
        hits += terms.find(text)
    return sorted(hits, key=lambda h: (h.start, h.kind))


def findings_in(text: str, field: str, terms: TermList | None, *, place: str | None = None,
                lines: bool = True) -> list[Finding]:
    """Findings in one unit of text (a field, a paragraph, a cell, a page).

    ``where`` is ``line N`` (counting from 1 within ``text``), prefixed by ``place`` when given; with
    ``lines=False`` it is ``place`` alone (a spreadsheet cell, a DOCX paragraph). Invisible characters (zero-width,
    bidi controls) are read as absent.
    """
    text = strip_invisible(text)
    if not text:
        return []
    hits = scan(text, terms)
    if not hits:
        return []
    masked, _ = mask_personal(text)
    breaks = [i for i, ch in enumerate(text) if ch == "\n"] if "\n" in text else []
    findings = []
    for hit in hits:
        line_index = bisect.bisect_left(breaks, hit.start)  # breaks before the hit
        line_start = breaks[line_index - 1] + 1 if line_index else 0
        line_end = text.find("\n", hit.end)
        line_end = len(text) if line_end < 0 else line_end
        if lines:
            number = line_index + 1
            where = (N_("{place} line {number}").format(place=place, number=number) if place
                     else N_("line {number}").format(number=number))
        else:
            where = place or N_("line {number}").format(number=1)
        suggestion = CLASSIFICATION_HINT if hit.kind is FindingKind.CLASSIFICATION else hit.suggestion
        findings.append(Finding(hit.kind, field, where, _excerpt(masked, hit, line_start, line_end), suggestion))
    return findings


def _excerpt(masked: str, hit: Hit, line_start: int, line_end: int) -> str:
    lo = max(line_start, hit.start - EXCERPT_CONTEXT)
    hi = min(line_end, max(hit.end, hit.start + 1) + EXCERPT_CONTEXT)
    text = " ".join(masked[lo:hi].split())
    return ("…" if lo > line_start else "") + text + ("…" if hi < line_end else "")
