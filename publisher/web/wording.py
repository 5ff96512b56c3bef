"""The console's words for messages the core words for the command line: a button or a field to use instead of a
CLI flag, channels by their display names instead of their configuration keys."""

from __future__ import annotations

import re
from typing import Callable

# (the command line's advice, as the Chinese catalogue words it) → what a console user does instead
ADVICE = (
    (re.compile(r"（可用 --option [\w.-]+\.title=\.\.\. 另给短标题）"), "（请在该渠道的「短标题」中另给一个）"),
    (re.compile(r"（可用 --option [\w.-]+\.author=\.\.\. 另给较短的）"), "（请联系管理员在渠道设置中改短作者）"),
    (re.compile(r"，或用 --option [\w.-]+\.digest=\.\.\. 另给摘要"), ""),
    (re.compile(r"请将 channels\.[\w.-]+\.source_url_from 设为网站渠道（([^）]*)），或用 --option [\w.-]+\.attachments=omit "
                r"不带附件发布"), r"请联系管理员把“阅读原文”设为网站渠道（\1），或去掉附件"),
    (re.compile(r"请先脱敏（publisher check \d+ --mask），或以 --override 理由 审批通过"),
     "请先点「个人信息脱敏」，或由终审人在「越过审查结果的理由」中写明理由后通过"),
    (re.compile(r"可加 --leave \S+ 保留该渠道上的旧版"), "可勾选「保留该渠道上的旧版」"),
    (re.compile(r"（请用 --as [^）]*）"), ""),
    (re.compile(r"：请用 --as 用户名 或设置 PUBLISHER_USER"), "：请先登录"),
    (re.compile(r"channels\.[\w.-]+\.default_cover"), "渠道设置中的默认封面"),
)
CHANNEL_KEY = re.compile(r"渠道 ([\w.-]+)(：| )")


def console_words(text: str, channel: Callable[[str], str]) -> str:
    """``text`` with the command line's advice replaced by the console's, and channels named by ``channel``."""
    if not text:
        return text
    for pattern, instead in ADVICE:
        text = pattern.sub(instead, text)
    return CHANNEL_KEY.sub(lambda m: channel(m.group(1)) + ("：" if m.group(2) == "：" else ""), text)
