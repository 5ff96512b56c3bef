"""The statutory tables' shapes in the State Council's two formats (国办公开办函〔2019〕60号 and 〔2021〕30号)."""

from __future__ import annotations

from dataclasses import dataclass

TEMPLATES = ("2019", "2021")
NUMERALS = ("一", "二", "三", "四", "五", "六")
SECTION_TITLES = ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况",
                  "政府信息公开行政复议、行政诉讼情况", "存在的主要问题及改进情况", "其他需要报告的事项")


def template_for(year: int) -> str:
    """The format in force for a report year: the 2019 one up to 2020, the 2021 one from 2021."""
    return "2019" if year <= 2020 else "2021"


# -- Table 二 ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """One block of Table 二: a clause of Art. 20, its kinds of information and its columns."""

    clause: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]


TABLE2 = {
    "2019": (
        Block("第二十条第（一）项", ("规章", "规范性文件"), ("本年新制作数量", "本年新公开数量", "对外公开总数量")),
        Block("第二十条第（五）项", ("行政许可", "其他对外管理服务事项"), ("上一年项目数量", "本年增/减", "处理决定数量")),
        Block("第二十条第（六）项", ("行政处罚", "行政强制"), ("上一年项目数量", "本年增/减", "处理决定数量")),
        Block("第二十条第（八）项", ("行政事业性收费",), ("上一年项目数量", "本年增/减")),
        Block("第二十条第（九）项", ("政府集中采购",), ("采购项目数量", "采购总金额")),
    ),
    "2021": (
        Block("第二十条第（一）项", ("规章", "行政规范性文件"), ("本年制发件数", "本年废止件数", "现行有效件数")),
        Block("第二十条第（五）项", ("行政许可",), ("本年处理决定数量",)),
        Block("第二十条第（六）项", ("行政处罚", "行政强制"), ("本年处理决定数量",)),
        Block("第二十条第（八）项", ("行政事业性收费",), ("本年收费金额（单位：万元）",)),
    ),
}
# Cells the ledger can count: items published this year in the categories the config maps to the row.
TABLE2_LEDGER_COLUMN = {"2019": "本年新公开数量", "2021": "本年制发件数"}
TABLE2_LEDGER_ROWS = {"规章", "规范性文件", "行政规范性文件", "行政许可", "行政处罚", "行政强制"}
TABLE2_DECISION_COLUMN = {"2019": "处理决定数量", "2021": "本年处理决定数量"}


# -- Table 三 ---------------------------------------------------------------------------------------
APPLICANT_TYPES = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
LEGAL_PERSON_TYPES = APPLICANT_TYPES[1:]
TABLE3_COLUMNS = APPLICANT_TYPES + ("总计",)
TABLE3_CHECK_NOTE = "本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和"


@dataclass(frozen=True)
class Outcome:
    """One row of 三、本年度办理结果: its code (``3.1``), group and own label."""

    code: str
    group: str
    label: str

    @property
    def full_label(self) -> str:
        return f"{self.group}{self.label}" if self.label else self.group


_REFUSED = ("属于国家秘密", "其他法律行政法规禁止公开", "危及“三安全一稳定”", "保护第三方合法权益",
            "属于三类内部事务信息", "属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项")
_UNABLE = ("本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确")
_NOT_HANDLED = ("信访举报投诉类申请", "重复申请", "要求提供公开出版物", "无正当理由大量反复申请",
                "要求行政机关确认或重新出具已获取信息")
_OTHER_2021 = ("申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
               "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "其他")


def _numbered(prefix: str, group: str, labels: tuple[str, ...]) -> list[Outcome]:
    return [Outcome(f"{prefix}.{i}", group, f"{i}.{label}") for i, label in enumerate(labels, 1)]


def outcomes(template: str) -> list[Outcome]:
    """The outcome rows of Table 三 in ``template``'s order (without （七）总计)."""
    rows = [Outcome("1", "（一）予以公开", ""),
            Outcome("2", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "")]
    rows += _numbered("3", "（三）不予公开", _REFUSED)
    rows += _numbered("4", "（四）无法提供", _UNABLE)
    rows += _numbered("5", "（五）不予处理", _NOT_HANDLED)
    if template == "2019":
        rows.append(Outcome("6", "（六）其他处理", ""))
    else:
        rows += _numbered("6", "（六）其他处理", _OTHER_2021)
    return rows


ALL_OUTCOME_CODES = {o.code for t in TEMPLATES for o in outcomes(t)}


def outcome_row(code: str, template: str) -> str:
    """The row code an outcome is counted in under ``template`` (the 2021 split of 其他处理 folds into 6 in 2019)."""
    if template == "2019" and code.startswith("6"):
        return "6"
    if template == "2021" and code == "6":
        return "6.3"
    return code


def _outcome_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for template in ("2019", "2021"):
        for o in outcomes(template):
            names.setdefault(o.code, o.code)
            if o.label:
                names.setdefault(o.label, o.code)
                names.setdefault(o.label.split(".", 1)[1], o.code)
                names.setdefault(o.full_label, o.code)
            else:
                names.setdefault(o.group, o.code)
                names.setdefault(o.group[3:].split("（")[0], o.code)  # 予以公开, 部分公开, 其他处理
    return names


OUTCOME_NAMES = _outcome_names()


def parse_outcome(text: str) -> str:
    """An outcome given as a code (``3.4``) or a label (``保护第三方合法权益``, ``予以公开``); ValueError if neither."""
    try:
        return OUTCOME_NAMES[text.strip()]
    except KeyError:
        raise ValueError(text) from None


ROW_NEW, ROW_CARRIED_IN, ROW_TOTAL, ROW_CARRIED_OUT = "一", "二", "三.七", "四"
ROW_LABELS = {ROW_NEW: "一、本年新收政府信息公开申请数量", ROW_CARRIED_IN: "二、上年结转政府信息公开申请数量",
              ROW_TOTAL: "（七）总计", ROW_CARRIED_OUT: "四、结转下年度继续办理"}
RESULTS_LABEL = "三、本年度办理结果"


# -- Table 四 ---------------------------------------------------------------------------------------
APPEAL_KINDS = ("行政复议", "未经复议直接起诉", "复议后起诉")
APPEAL_RESULTS = ("结果维持", "结果纠正", "其他结果", "尚未审结")
TABLE4_COLUMNS = APPEAL_RESULTS + ("总计",)
