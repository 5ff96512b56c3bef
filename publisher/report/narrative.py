"""The office's narrative: Markdown files with sandboxed Jinja2 placeholders for computed figures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from publisher.errors import InputError
from publisher.foundation.i18n import _

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’《》]"
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "?": "？", "!": "！"}


def missing_text(path: str) -> str:
    """What the report says in place of a narrative file that does not exist."""
    return f"【本节内容未提供：请撰写 {path}】"


def render_file(path: Path, context: dict[str, Any]) -> list[dict[str, str]] | None:
    """The file's blocks (``{"kind": "p"|"h", "text"}``) with placeholders filled; None when the file is missing."""
    if not path.is_file():
        return None
    try:
        source = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(_("cannot read {path}: {value}").format(
                             path=path,
                             value=getattr(exc, 'strerror', None) or 'not UTF-8'), field="report.narrative") from None
    try:
        text = _ENV.from_string(source).render(**context)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None) or _template_line(exc)
        where = f"{path}" + (f", line {line}" if line else "")
        raise InputError(_("{where}: placeholder: {value}").format(
                             where=where, value=exc.message or exc), field="report.narrative") from None
    return markdown_blocks(text)


def _template_line(exc: BaseException) -> int | None:
    """The template line an error was raised on (Jinja2 puts template frames in the traceback)."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def markdown_blocks(text: str) -> list[dict[str, str]]:
    """Paragraphs split on blank lines; ``#`` lines are sub-headings. Lines of one paragraph are joined."""
    blocks = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [ln.strip() for ln in chunk.splitlines() if ln.strip()]
        if not lines:
            continue
        if lines[0].startswith("#"):
            blocks.append({"kind": "h", "text": fullwidth(lines[0].lstrip("#").strip())})
            lines = lines[1:]
        if lines:
            blocks.append({"kind": "p", "text": fullwidth(_join(lines))})
    return blocks


def _join(lines: list[str]) -> str:
    out = lines[0]
    for line in lines[1:]:
        sep = "" if re.match(_CJK, out[-1:]) or re.match(_CJK, line[:1]) else " "
        out += sep + line
    return out


def fullwidth(text: str) -> str:
    """Half-width ``,;:()?!`` next to Chinese characters become full-width (numbers like 1,000 are left alone)."""
    def swap(match: re.Match[str]) -> str:
        return _HALF_TO_FULL[match.group(0)]

    text = re.sub(rf"(?<={_CJK})[,;:?!]|[,;:?!](?={_CJK})", swap, text)
    return re.sub(rf"\(([^()]*{_CJK}[^()]*)\)", r"（\1）", text)
