"""Emulator of an external checking service (错敏词 monitoring), the office's optional extra gate step
(``gate.external``).

``POST /check`` takes ``{"title", "summary", "body", "fields"}`` and answers ``{"verdict": "pass" | "fail",
"findings": [{"field", "where", "text", "suggestion"}]}``: every occurrence of one of its ``words`` (wrong → right)
is a finding, with its line. Faults (``POST /_sandbox/faults``) make it slow, fail or drop the connection.
"""

from __future__ import annotations

from publisher.sandbox.registry import SandboxEmulator
from publisher.sandbox.server import Emulator, Request, Response, json_response

#: What the sandbox service flags out of the box: wrong → right (words the shipped list does not hold).
WORDS = {"国务院扶贫办公室": "国务院扶贫开发领导小组办公室", "两学一作": "两学一做"}


class CheckerEmulator(Emulator):
    """A checking service: flags each of ``words`` (wrong → right) in the text it is sent; counts the calls."""

    name = "checker"

    def __init__(self, words: dict[str, str] | None = None):
        super().__init__()
        self.words = dict(WORDS if words is None else words)
        self.calls = 0
        self.route("POST", r"/check", self._check)

    def _check(self, request: Request) -> Response:
        with self.lock:
            self.calls += 1
        try:
            data = request.json()
        except ValueError:
            return json_response({"error": "body must be JSON"}, 400)
        if not isinstance(data, dict):
            return json_response({"error": "body must be a JSON object"}, 400)
        texts = {"title": data.get("title"), "summary": data.get("summary"), "body": data.get("body"),
                 **(data.get("fields") if isinstance(data.get("fields"), dict) else {})}
        findings = [finding for field, text in texts.items() if isinstance(text, str)
                    for finding in self._findings(field, text)]
        return json_response({"verdict": "fail" if findings else "pass", "findings": findings})

    def _findings(self, field: str, text: str) -> list[dict]:
        found = []
        for number, line in enumerate(text.splitlines() or [text], start=1):
            for wrong, right in self.words.items():
                if wrong in line:
                    found.append({"field": field, "where": f"line {number}", "text": wrong, "suggestion": right})
        return found


SANDBOX = SandboxEmulator("checker", 8707, lambda clock: CheckerEmulator(), label="checking service")
