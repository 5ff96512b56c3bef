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


def label(kind: str, key: str) -> str:
    """The office's word for ``key`` of ``kind`` (status, decision, finding, role, correction); the key itself if none."""
    return TABLES[kind].get(key, key)
