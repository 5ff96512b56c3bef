"""The console, the CLI and the report call each thing by one name: the console's label table and the CLI's Chinese
catalogue agree on every status, decision, gate finding and role."""

from __future__ import annotations

import gettext

from publisher.foundation.i18n import LOCALE_DIR
from publisher.foundation.labels import TABLES


def test_the_cli_and_the_console_call_each_thing_by_one_name():
    chinese = gettext.translation("publisher", LOCALE_DIR, languages=["zh_CN"])
    differ = [(kind, key, chinese.gettext(key), word) for kind, table in TABLES.items() for key, word in table.items()
              if chinese.gettext(key) not in (key, word)]
    assert differ == []


def test_no_message_calls_the_last_reviewer_by_another_name():
    catalogue = (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "publisher.po").read_text(encoding="utf-8")
    assert "审批人" not in catalogue and "密级标识" not in catalogue


def test_the_console_and_the_staff_manual_call_the_last_reviewer_as_the_cli_does():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    texts = [p.read_text(encoding="utf-8") for p in (root / "publisher" / "web" / "templates").glob("*.html")]
    texts.append((root / "docs" / "操作手册.md").read_text(encoding="utf-8"))
    assert not [t for t in texts if "审批人" in t]
