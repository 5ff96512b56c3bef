"""The fingerprint of what decides the gate's findings: the term list in force, the built-in rules' version and the
office's gate settings. A re-scan of what is already out is due when it changes (``publisher.inspection``)."""

from __future__ import annotations

import hashlib

from publisher.gate.terms import TermList

#: Raise this when a built-in detector (markings, personal data, masking format, accessibility) changes what it finds.
RULES_VERSION = "2026.12-1"


def rules_fingerprint(terms: TermList, settings=None) -> str:
    """SHA-256 (hex) of the rules version, every term (id, pattern, right form, exceptions) and the gate settings
    that change findings (accessibility mode, the external service's address)."""
    digest = hashlib.sha256(RULES_VERSION.encode())
    for part in sorted(terms.fingerprint_parts()):
        digest.update(b"\n" + part.encode("utf-8"))
    if settings is not None:
        external = getattr(settings, "external", None)
        digest.update(f"\naccessibility={getattr(settings, 'accessibility', 'warn')}".encode())
        digest.update(f"\nexternal={external.url if external else ''}".encode())
    return digest.hexdigest()
