"""What the gate reports: one finding per hit, and the result of checking a whole item."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FindingKind(StrEnum):
    """The kinds of problem the gate looks for."""

    CLASSIFICATION = "classification"
    ID_NUMBER = "id_number"
    MOBILE = "mobile"
    BANK_CARD = "bank_card"
    TERM = "term"
    ACCESSIBILITY = "accessibility"  # 无障碍: a warning unless the office makes it blocking (gate.accessibility)
    EXTERNAL = "external"  # the office's external checking service: one of its findings, or its failure


#: Kinds that hold 终审 only when the office says so (``gate.accessibility: block``); the others always do.
WARNING_KINDS = frozenset({FindingKind.ACCESSIBILITY})


PERSONAL_KINDS = frozenset({FindingKind.ID_NUMBER, FindingKind.MOBILE, FindingKind.BANK_CARD})


@dataclass(frozen=True)
class Finding:
    """One hit: its kind, the field and place it was found, a masked excerpt and a suggested fix."""

    kind: FindingKind
    field: str  # "title" | "summary" | "body" | "attachment:NAME"
    where: str  # "line 3" | "sheet 名单 cell C7" | "page 2 line 4" | "paragraph 5" | "table 1 row 3 cell 2"
    text: str  # excerpt around the hit, personal data masked
    suggestion: str | None = None

    def to_json(self) -> dict:
        return {"kind": str(self.kind), "field": self.field, "where": self.where, "text": self.text,
                "suggestion": self.suggestion}


@dataclass
class GateResult:
    """Every finding of an item, and the attachments the gate could not (fully) read.

    ``reasons`` says, per unchecked attachment, why (an image, no text layer, truncated at a limit).
    """

    findings: list[Finding] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    external: dict | None = None  # the external checking service's verdict, when the office has one

    @property
    def clean(self) -> bool:
        """No finding (unchecked attachments are for the approver to confirm; they do not make it unclean)."""
        return not self.findings

    def to_json(self) -> dict:
        shown = {"findings": [f.to_json() for f in self.findings], "unchecked": list(self.unchecked)}
        if self.external is not None:
            shown["external"] = dict(self.external)
        return shown
