"""The gate's entry points: check an item or a text, and make a de-identified copy of an item."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from publisher.gate.attachments import Unit, extract
from publisher.foundation.i18n import N_
from publisher.gate.findings import Finding, FindingKind, GateResult
from publisher.gate.htmltext import attribute_values, body_text, mask_body
from publisher.gate.personal import lossy_id, mask_id, mask_personal
from publisher.gate.rewrite import can_rewrite, mask_file
from publisher.gate.scan import findings_in
from publisher.gate.settings import GateLimits
from publisher.gate.terms import TermList

LOSSY_HINT = "（该号码以数字格式存储，末几位已丢失，请改为文本格式）"


def check_text(text: str, field: str, terms: TermList) -> list[Finding]:
    """Findings in a plain text field (title, summary), with ``line N`` places."""
    return findings_in(text or "", field, terms)


def check_body(body_html: str, terms: TermList, field: str = "body") -> list[Finding]:
    """Findings in an HTML body, by line of its text as an editor shows it, and in the attribute values a reader
    or a channel may show (``title=``, ``alt=``, ``href=`` ...)."""
    findings = findings_in(body_text(body_html or "").text, field, terms)
    for tag, attribute, value in attribute_values(body_html or ""):
        place = N_("attribute {attribute} of <{tag}>").format(attribute=attribute, tag=tag)
        findings += findings_in(_link_text(value) if attribute in ("href", "src") else value, field, terms,
                                place=place, lines=False)
    return _dedupe(findings)


def _link_text(url: str) -> str:
    """A link's parts as plain text (a number in ``tel:``, ``mailto:`` or a query is still a number)."""
    from urllib.parse import unquote

    return " ".join(part for part in re.split(r"[/?&=#:;,]+", unquote(url)) if part)


def check_attachment(name: str, path: Path, terms: TermList, limits: GateLimits | None = None,
                     ) -> tuple[list[Finding], str | None]:
    """Findings in one attachment (its name included), and why it is not (fully) checked (None when it is)."""
    extracted = extract(Path(path), name, limits)
    field_name = f"attachment:{name}"
    findings: list[Finding] = findings_in(name, field_name, terms, place=N_("file name"), lines=False)
    for unit in extracted.units:
        findings += _unit_findings(unit, field_name, terms)
    return _dedupe(findings), extracted.problem


def _unit_findings(unit: Unit, field_name: str, terms: TermList) -> list[Finding]:
    if unit.lossy_number:
        if lossy_id(unit.text):
            masked = mask_id(unit.text)
            return [Finding(FindingKind.ID_NUMBER, field_name, unit.place or N_("line {number}").format(number=1), masked,
                            N_("mask: {masked}").format(masked=masked + LOSSY_HINT))]
        return []
    return findings_in(unit.text, field_name, terms, place=unit.place, lines=unit.lines)


def check_item(*, title: str, summary: str, body_html: str, attachments: list[tuple[str, Path]],
               terms: TermList, limits: GateLimits | None = None, fields: dict[str, str] | None = None,
               ) -> GateResult:
    """Run the gate on a whole item: title, summary, body, every attachment and ``fields`` (the other published
    text: department, author, per-channel titles and digests, by field name)."""
    result = GateResult()
    result.findings += check_text(title, "title", terms)
    result.findings += check_text(summary, "summary", terms)
    for name, text in (fields or {}).items():
        result.findings += check_text(text, name, terms)
    result.findings += check_body(body_html, terms)
    for name, path in attachments:
        found, problem = check_attachment(name, path, terms, limits)
        result.findings += found
        if problem is not None and name not in result.unchecked:
            result.unchecked.append(name)
            result.reasons[name] = problem
    return result


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[Finding] = set()
    out = []
    for finding in findings:
        if finding not in seen:
            seen.add(finding)
            out.append(finding)
    return out


def mask_text(text: str) -> str:
    """``text`` with every ID number, mobile and bank card number masked (320623********123X, 138****5678)."""
    return mask_personal(text)[0]


@dataclass
class MaskedItem:
    """A de-identified copy of an item; ``masked`` counts the numbers masked, ``not_masked`` names the
    attachments that could not be rewritten (PDF, images, ...) and were passed through as they were."""

    title: str
    summary: str
    body_html: str
    attachments: list[tuple[str, Path]] = field(default_factory=list)
    masked: int = 0
    not_masked: list[str] = field(default_factory=list)


def mask_item(*, title: str, summary: str, body_html: str, attachments: list[tuple[str, Path]],
              out_dir: Path) -> MaskedItem:
    """De-identified copies: text fields masked, DOCX/XLSX/TXT/CSV/HTML attachments rewritten into ``out_dir``
    under the same name, other attachments passed through unchanged."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    new_title, n_title = mask_personal(title or "")
    new_summary, n_summary = mask_personal(summary or "")
    new_body, n_body = mask_body(body_html or "")
    item = MaskedItem(new_title, new_summary, new_body, masked=n_title + n_summary + n_body)
    for name, path in attachments:
        target = out_dir / Path(name).name
        if can_rewrite(name):
            item.masked += mask_file(Path(path), name, target)
            item.attachments.append((name, target))
        else:
            if Path(path).resolve() != target.resolve():
                shutil.copyfile(path, target)
            item.attachments.append((name, target))
            item.not_masked.append(name)
    return item
