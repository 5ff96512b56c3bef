"""The office's external checking service as one more gate step (``gate.external``).

The item's published text is POSTed as JSON::

    {"title": ..., "summary": ..., "body": "the body as text", "fields": {"department": ..., ...}}

and the service answers ``{"verdict": "pass" | "fail", "findings": [{"field", "where", "text", "suggestion"}]}``.
Each of its findings becomes a finding of kind ``external``; a service that does not answer, answers an error or
answers something else is a finding too (named ``external`` at the field ``external``): never a silent pass.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from publisher.foundation.i18n import N_
from publisher.gate.findings import Finding, FindingKind
from publisher.gate.htmltext import body_text
from publisher.gate.settings import ExternalCheck

MAX_FINDINGS = 200


@dataclass
class Verdict:
    """What the service said: ``pass``, ``fail`` or ``error`` (it did not answer usably), and its findings."""

    service: str
    verdict: str
    findings: list[Finding] = field(default_factory=list)
    reason: str | None = None

    def to_json(self) -> dict:
        return {"service": self.service, "verdict": self.verdict, "findings": len(self.findings),
                "reason": self.reason}


def ask(settings: ExternalCheck, *, title: str, summary: str, body_html: str, fields: dict[str, str]) -> Verdict:
    """POST the text to the service and turn its answer (or its failure) into a verdict with findings."""
    payload = {"title": title or "", "summary": summary or "", "body": body_text(body_html or "").text,
               "fields": dict(fields)}
    try:
        answer = _post(settings, payload)
    except _Unusable as exc:
        reason = str(exc)
        failure = Finding(FindingKind.EXTERNAL, "external", settings.name,
                          N_("the checking service did not give a verdict: {reason}").format(reason=reason),
                          N_("check again (publisher check ID) once the service answers, or approve with an "
                             "override naming the reason"))
        return Verdict(settings.name, "error", [failure], reason)
    return _verdict(settings, answer)


class _Unusable(Exception):
    """The service did not answer, or not with a verdict."""


def _post(settings: ExternalCheck, payload: dict) -> dict:
    from publisher.errors import ChannelError, OutcomeUnknown
    from publisher.http import AnswerTooLarge, new_session, send

    headers = {"Content-Type": "application/json; charset=utf-8"}
    token = os.environ.get(settings.token_env) if settings.token_env else None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    session = new_session()
    try:  # send: the timeout bounds the whole request, and an oversized answer is cut off
        response = send(session, "POST", settings.url, timeout=settings.timeout, json=payload, headers=headers,
                        allow_redirects=False)
    except AnswerTooLarge:
        raise _Unusable(N_("its answer is too large")) from None
    except OutcomeUnknown:
        raise _Unusable(N_("no answer within {seconds} s").format(seconds=settings.timeout)) from None
    except ChannelError as exc:
        raise _Unusable(N_("cannot reach it ({error})").format(error=type(exc).__name__)) from None
    finally:
        session.close()
    if response.status_code != 200:
        raise _Unusable(N_("it answered HTTP {status}").format(status=response.status_code))
    try:
        answer = response.json()
    except ValueError:
        raise _Unusable(N_("its answer is not JSON")) from None
    if not isinstance(answer, dict) or answer.get("verdict") not in ("pass", "fail"):
        raise _Unusable(N_("its answer has no verdict (pass or fail)"))
    if not isinstance(answer.get("findings", []), list):
        raise _Unusable(N_("its findings are not a list"))
    return answer


def _verdict(settings: ExternalCheck, answer: dict) -> Verdict:
    findings = []
    for entry in answer.get("findings", [])[:MAX_FINDINGS]:
        if not isinstance(entry, dict):
            continue
        findings.append(Finding(FindingKind.EXTERNAL, _short(entry.get("field"), 600) or "body",
                                _short(entry.get("where"), 200) or settings.name, _short(entry.get("text"), 500),
                                _short(entry.get("suggestion"), 500) or None))
    verdict = answer["verdict"]
    if verdict == "fail" and not findings:  # a fail without a finding still holds the item: say so
        findings.append(Finding(FindingKind.EXTERNAL, "external", settings.name,
                                N_("the checking service failed the text without naming a place"), None))
    return Verdict(settings.name, verdict, findings)


def _short(value: object, limit: int) -> str:
    return str(value)[:limit] if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
