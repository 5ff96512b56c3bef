"""Tasks from a spreadsheet as 上级 send them: .xlsx, CSV in UTF-8 or GBK, or JSON Lines; English or Chinese
column names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.reposts.tasks import TaskInput, parse_task
from publisher.runtime.app import App

#: a column's accepted names → the task's field
COLUMNS = {
    "title": "title", "标题": "title", "任务": "title", "任务名称": "title",
    "source": "source_url", "source_url": "source_url", "url": "source_url", "原文链接": "source_url",
    "链接": "source_url", "来源链接": "source_url",
    "document": "source_file", "文件": "source_file", "附件": "source_file",
    "channels": "accounts", "accounts": "accounts", "channel": "accounts", "账号": "accounts",
    "转载账号": "accounts", "渠道": "accounts",
    "due": "due_on", "due_on": "due_on", "deadline": "due_on", "截止日期": "due_on", "完成时限": "due_on",
    "issuer": "issuer", "下发单位": "issuer", "来源单位": "issuer",
    "category": "category", "栏目": "category",
}
SEPARATORS = re.compile(r"[,，、;；\s]+")


def read_tasks(app: App, path: Path) -> list[TaskInput]:
    """Every row as a validated task; InputError naming the line (nothing is recorded from a bad file)."""
    from publisher.foundation.sheets import read_rows

    rows = read_rows(path)
    if not rows:
        raise InputError(_("{path}: no tasks in the file").format(path=path.name), field="FILE")
    return [parse_task(app, _fields(raw, path.parent), where=_("line {n}").format(n=n)) for n, raw in rows]


def _fields(raw: dict[str, Any], folder: Path) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        name = COLUMNS.get(str(key).strip().lower(), COLUMNS.get(str(key).strip()))
        if name is None:
            continue
        fields[name] = value
    accounts = fields.get("accounts")
    if isinstance(accounts, str):
        fields["accounts"] = [a for a in SEPARATORS.split(accounts) if a]
    if fields.get("source_file"):
        document = Path(str(fields["source_file"]).strip())
        fields["source_file"] = document if document.is_absolute() else folder / document
    return fields
