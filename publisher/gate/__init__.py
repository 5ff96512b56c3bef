"""The pre-publication gate (保密审查): classification markings, personal information and 错敏词.

Pure functions over text and files, no database: the review workflow calls ``check_item`` and, for personal
data, ``mask_item`` to produce the de-identified copy the inspections ask for.
"""

from publisher.gate.findings import Finding, FindingKind, GateResult
from publisher.gate.settings import GateConfig, GateLimits
from publisher.gate.terms import Term, TermList, load_terms, starter_terms

__all__ = [
    "Finding", "FindingKind", "GateConfig", "GateLimits", "GateResult", "MaskedItem", "Term", "TermList",
    "check_attachment", "check_body", "check_item", "check_text", "load_terms", "mask_item", "mask_text",
    "starter_terms",
]

#: Loaded on first use (they read HTML and office files): reading the gate's settings does not load them.
_CHECKS = frozenset({"MaskedItem", "check_attachment", "check_body", "check_item", "check_text", "mask_item",
                     "mask_text"})


def __getattr__(name: str):
    if name in _CHECKS:
        from publisher.gate import gate

        return getattr(gate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
