"""A raw hit inside one string: kind, span and what to suggest; the detectors all produce these."""

from __future__ import annotations

from dataclasses import dataclass

from publisher.gate.findings import FindingKind


@dataclass(frozen=True)
class Hit:
    """``text[start:end]`` is a hit of ``kind``; ``masked`` is its de-identified form (personal data only)."""

    kind: FindingKind
    start: int
    end: int
    masked: str | None = None
    suggestion: str | None = None

