"""The statutory annual report (政府信息公开工作年度报告): build it from the ledger, render it, freeze it."""

from __future__ import annotations

from publisher.report.paragraph import channel_paragraph

__all__ = ["channel_paragraph"]
