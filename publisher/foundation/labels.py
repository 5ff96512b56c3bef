"""The office's words for the code's names: one table for the console, the CLI and the report, so that a thing has
one name wherever it is shown (终审人, not 审批人 here and 终审人 there). The Chinese catalogue gives the CLI the same
words (a test holds them equal); docs/glossary.md explains each."""

from __future__ import annotations

STATUS = {
    "pending": "待发布", "publishing": "发布中", "in_doubt": "待核实", "published": "已发布", "failed": "重试中",
    "dead": "已放弃", "retracted": "已撤回", "draft": "草稿", "in_review": "审核中", "rejected": "已退回",
    "approved": "已通过", "active": "有效",
}
DECISION = {"submitted": "已提交", "approved": "已通过", "rejected": "已退回", "restarted": "重新审核"}
FINDING = {"classification": "密级标志", "id_number": "身份证号", "mobile": "手机号码", "bank_card": "银行卡号",
           "term": "错敏词", "accessibility": "无障碍", "external": "外部检查"}
CORRECTION = {"open": "待更正", "corrected": "已更正", "dismissed": "已忽略"}
ROLE = {"editor": "编辑", "reviewer": "审核人", "approver": "终审人", "admin": "管理员"}
TABLES = {"status": STATUS, "decision": DECISION, "finding": FINDING, "role": ROLE, "correction": CORRECTION}
# the rules a refusal names (exit 3 on the command line, a red box in the console); the API keeps the key
RULE = {
    "admin": "仅限管理员", "cannot_update": "渠道不能更新已发布的稿件", "concurrent": "他人同时修改",
    "disabled_user": "账号已停用", "first_admin": "第一个用户须为管理员", "gate": "保密审查",
    "imported_before": "已导入过", "no_interpretation": "政策文件须有解读", "office": "仅限本单位",
    "own_item": "不审核自己撰写的信息", "published": "已发布的信息", "retracted": "已撤回的信息",
    "review_disabled": "未启用审核", "role": "角色权限", "self": "不能对自己的账号操作", "state": "当前状态不允许",
    "two_steps": "一人不审两步", "user": "须以系统用户操作", "daemon-running": "发布服务正在运行",
    "frozen-once": "年度报告已定稿", "extend-before-deadline": "延期须在期限内决定", "decided-once": "结果只登记一次",
    "category-sums": "分类合计须一致", "publications-sum": "发布合计须一致", "appendix-matches-tally": "附表须与统计一致",
    "narrative-present": "须有文字说明",
}


def rule_label(rule: str) -> str:
    """The office's words for a refusal's rule (several rules joined by ", " each); the key itself if none."""
    return "、".join(RULE.get(part, part) for part in rule.split(", "))


def label(kind: str, key: str) -> str:
    """The office's word for ``key`` of ``kind`` (status, decision, finding, role, correction); the key itself if none."""
    return TABLES[kind].get(key, key)
