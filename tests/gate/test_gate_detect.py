"""The gate finds classification markings, personal numbers and wrong wording in text — and nothing else."""

from __future__ import annotations

import pytest

from publisher.gate import FindingKind, check_text, load_terms
from publisher.gate.personal import id_check_digit, luhn_valid, valid_id15, valid_id18

TERMS = load_terms()


def kinds(text: str) -> list[str]:
    return [str(f.kind) for f in check_text(text, "body", TERMS)]


def with_check(first17: str) -> str:
    return first17 + id_check_digit(first17)


def luhn_complete(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


ID = with_check("32062319900101123")
CARD16 = luhn_complete("622202123456789")
CARD19 = luhn_complete("621700123456789012")

# -- classification markings --------------------------------------------------------------------

MARKINGS = [
    ("秘密★1年", "秘密★1年"), ("机密★5年", "机密★5年"), ("绝密★长期", "绝密★长期"), ("秘密★", "秘密★"),
    ("机密 ★ 10年", "机密 ★ 10年"), ("秘密★6个月", "秘密★6个月"), ("秘密", "秘密"), ("  机密  ", "机密"),
    ("【绝密】", "绝密"), ("（秘密）", "秘密"), ("[机密★2年]", "机密★2年"), ("内部资料", "内部资料"),
    ("内部使用", "内部使用"), ("注意保密", "注意保密"), ("不宜公开", "不宜公开"), ("工作秘密", "工作秘密"),
    ("内部资料　注意保密", "内部资料　注意保密"), ("（内部资料，注意保密）", "内部资料，注意保密"),
    ("（此件不宜公开）", "此件不宜公开"), ("密级：秘密", "秘密"), ("密级：机密★3年", "机密★3年"),
    ("机密　关于2019年度干部调整的请示", "机密"), ("本材料仅供内部使用，请勿转发。", "仅供内部使用"),
    ("【内部资料】如东信息第12期", "内部资料"), ("内部资料，请勿外传", "内部资料，请勿外传"),
]


@pytest.mark.parametrize("text, marking", MARKINGS)
def test_classification_markings_are_found_with_their_period(text, marking):
    findings = check_text(text, "title", TERMS)
    assert [f.kind for f in findings] == [FindingKind.CLASSIFICATION]
    assert " ".join(marking.split()) in findings[0].text
    assert findings[0].field == "title" and findings[0].where == "line 1"


def test_a_marking_at_the_top_of_a_document_is_found_on_its_line():
    findings = check_text("东政发〔2019〕12号\n秘密★1年\n县政府：\n现将有关情况报告如下。", "body", TERMS)
    assert [(f.kind, f.where) for f in findings] == [(FindingKind.CLASSIFICATION, "line 2")]


ORDINARY = [
    "秘书", "秘书长", "秘书处", "秘书科", "县委秘书", "机密性", "秘密性", "保密工作", "保密工作会议", "保密教育",
    "保密法", "保守国家秘密法", "国家秘密", "商业秘密", "个人隐私和商业秘密", "奥秘", "神秘", "秘诀", "便秘",
    "密切", "密切联系群众", "精密", "精密仪器", "密码", "密码管理", "密度", "人口密度", "密集", "劳动密集型",
    "紧密", "严密", "周密", "细密", "亲密", "茂密", "秘方", "揭秘", "隐秘", "秘境", "秘鲁", "机密文件管理",
    "保密审查", "保密协议", "定密", "解密", "涉密人员", "涉密载体", "泄密", "失密", "密室", "密封", "密闭",
    "密林", "稠密", "秘而不宣", "秘密写票", "无记名投票和秘密写票", "密不可分", "紧密型医共体", "保密期限",
    "密码锁", "商用密码", "加密", "密钥", "秘书工作", "办公室秘书", "秘书学", "密接", "密切接触者", "缜密",
    "精密制造", "高密度", "保密室", "保密委员会", "秘史", "秘闻", "秘籍", "甜蜜", "蜜蜂", "秘制", "秘色瓷",
    "密云区", "机密等级划分标准", "绝密档案解密展", "保守秘密", "严守秘密", "不得泄露国家秘密和工作秘密",
    "涉及国家秘密的信息", "工作秘密管理暂行办法", "内部资料性出版物", "内部资料性出版物准印证", "单位内部使用的车辆",
    "请注意保密措施的落实", "对不宜公开的信息依法不予公开", "注意保密和安全", "机密性、完整性和可用性",
    "保密宣传月", "保密自查", "密码应用安全性评估", "亲密无间", "秘密会谈已成为历史", "机密资料柜", "秘书长办公会",
    "县政府秘书长主持会议", "密级分为“绝密”“机密”“秘密”三级", "标有“秘密”字样的文件", "电影《秘密》", "《机密》",
    "密切配合，周密部署，严密组织", "密封保存", "秘书长、副秘书长", "机密文件的保管", "保密工作领导小组",
    "宇宙的奥秘", "探秘古镇", "揭开神秘面纱", "致富秘诀", "中央密码工作领导小组", "秘密性较强的事项", "密谋",
]


def test_the_ordinary_word_list_has_at_least_100_entries():
    assert len(set(ORDINARY)) >= 100


@pytest.mark.parametrize("word", ORDINARY)
def test_ordinary_words_with_mi_are_not_markings_alone_or_in_a_sentence(word):
    assert kinds(word) == []
    assert kinds(f"会议强调，要{word}，确保各项工作落到实处。") == []
    assert kinds(f"据了解，{word}相关工作已纳入年度考核。\n下一步，将继续{word}。") == []


def test_a_quoted_example_of_a_marking_is_not_a_marking():
    assert kinds("公文首页左上角标注密级和保密期限，例如“秘密★1年”。") == []
    assert kinds("秘密★1年的标注方法") == []


# -- resident ID numbers ------------------------------------------------------------------------

def test_an_id_number_with_a_valid_check_digit_is_found_and_masked_in_the_excerpt():
    findings = check_text(f"申请人：张三，身份证号{ID}。", "body", TERMS)
    assert [f.kind for f in findings] == [FindingKind.ID_NUMBER]
    assert ID not in findings[0].text and "320623********" + ID[-4:] in findings[0].text
    assert findings[0].suggestion == f"mask: 320623********{ID[-4:]}"


@pytest.mark.parametrize("position", range(18))
def test_an_id_number_with_one_digit_changed_is_not_an_id_number(position):
    digits = "0123456789"
    changed = ID[:position] + digits[(digits.index(ID[position]) + 1) % 10] + ID[position + 1:] \
        if ID[position] in digits else ID[:position] + "0" + ID[position + 1:]
    assert not valid_id18(changed)
    assert FindingKind.ID_NUMBER not in [f.kind for f in check_text(f"身份证号{changed}", "body", TERMS)]


def test_an_id_number_ending_in_x_is_found_in_either_case():
    first = next(f"3206231985061240{k}" for k in range(10) if id_check_digit(f"3206231985061240{k}") == "X")
    assert valid_id18(first + "X") and valid_id18(first + "x")
    assert kinds(f"证件号：{first}x") == ["id_number"]
    assert check_text(f"证件号：{first}X", "body", TERMS)[0].suggestion == f"mask: {first[:6]}********{first[-3:]}X"


def test_implausible_region_or_birth_date_is_not_an_id_number():
    assert not valid_id18(with_check("99062319900101123"))  # no such province
    assert not valid_id18(with_check("32062319901301123"))  # month 13
    assert not valid_id18(with_check("32062318800101123"))  # born before 1900
    assert not valid_id18(with_check("32062330000101123"))  # born in the future


def test_old_15_digit_id_numbers_with_a_plausible_date_are_found():
    assert valid_id15("320623750612401")
    assert kinds("1、王伟，320623750612401，掘港街道") == ["id_number"]
    assert kinds("320623751312401") == []  # month 13
    assert kinds("营业执照注册号：320623000123456") == []  # a code, not a person


def test_an_id_number_inside_a_longer_digit_run_is_not_found():
    assert kinds("1" + ID) == [] and kinds(ID + "5") == []


def test_already_masked_numbers_are_not_findings():
    assert kinds(f"320623********{ID[-4:]}，138****5678，6222 **** **** 1234，{CARD16[:6]}******{CARD16[-4:]}") == []


# -- mobile numbers -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, masked", [
    ("电话13812345678", "138****5678"), ("电话：138-1234-5678", "138-****-5678"),
    ("电话 138 1234 5678。", "138 **** 5678"), ("+86 13812345678", "138****5678"), ("+8613812345678", "138****5678"),
    ("手机：１３８１２３４５６７８", "138****5678"), ("（19912345678）", "199****5678"),
])
def test_mobile_numbers_are_found_with_or_without_separators(text, masked):
    findings = check_text(text, "body", TERMS)
    assert [f.kind for f in findings] == [FindingKind.MOBILE]
    assert masked in findings[0].text and findings[0].suggestion == f"mask: {masked}"


@pytest.mark.parametrize("text", [
    "联系电话：0513-84512345", "政务服务热线12345", "监督电话12315、96196", "客服400-820-8820",
    "东住建〔2019〕12号", "日期20190312", "金额13500000000元", "合计 15000000000 元", "订单号201903121381234567",
    "138123456789", "2138123456789", "12812345678", "电话：0513-84512345-8001", "批号20190312138",
    "https://www.rudong.gov.cn/art/c15912345678.shtml", "13812345678.50",
])
def test_numbers_that_are_not_mobiles_are_not_found(text):
    assert kinds(text) == []


def test_two_mobiles_separated_by_a_slash_are_both_found():
    assert kinds("手机：13812345678/13912345678") == ["mobile", "mobile"]


# -- bank cards ---------------------------------------------------------------------------------

def test_luhn_valid_card_numbers_are_found_grouped_or_not():
    assert luhn_valid(CARD16) and luhn_valid(CARD19)
    assert kinds(f"卡号{CARD16}") == ["bank_card"]
    grouped = " ".join(CARD19[k:k + 4] for k in range(0, 19, 4))
    findings = check_text(f"账号：{grouped}", "body", TERMS)
    assert [f.kind for f in findings] == [FindingKind.BANK_CARD]
    assert findings[0].suggestion == f"mask: {CARD19[:4]} **** **** ***{CARD19[15]} {CARD19[16:]}"
    assert kinds(f"卡号{CARD16[:4]}-{CARD16[4:8]}-{CARD16[8:12]}-{CARD16[12:]}") == ["bank_card"]
    assert check_text(f"卡号{CARD16}", "body", TERMS)[0].suggestion == f"mask: {CARD16[:4]}********{CARD16[-4:]}"


def test_card_numbers_failing_luhn_or_inside_longer_runs_are_not_found():
    bad = CARD16[:-1] + str((int(CARD16[-1]) + 1) % 10)
    assert not luhn_valid(bad)
    assert kinds(f"卡号{bad}") == []
    assert kinds(f"账号1{CARD19}") == []  # 20 digits: an account, not a card
    assert kinds(f"流水号{CARD16}") == []  # a transaction code


def test_an_id_number_is_never_reported_as_a_bank_card():
    assert kinds(ID) == ["id_number"]


# -- places -------------------------------------------------------------------------------------

def test_findings_name_their_line():
    text = "第一行\n第二行\n联系人：王伟 13812345678\n第四行 截止2019年底"
    assert [(str(f.kind), f.where) for f in check_text(text, "summary", TERMS)] == [
        ("mobile", "line 3"), ("term", "line 4")]


def test_excerpts_are_short_and_on_one_line():
    text = "很长的前文" * 20 + f"身份证号{ID}" + "很长的后文" * 20 + "\n下一行"
    (finding,) = check_text(text, "body", TERMS)
    assert len(finding.text) <= 50 and "\n" not in finding.text and "下一行" not in finding.text


def test_numbers_in_a_space_separated_list_are_each_found():
    assert kinds(f"1 张三 {ID} 13812345678 3人") == ["id_number", "mobile"]
    assert kinds(f"张三,{ID},0513-84512345") == ["id_number"]


def test_a_grouped_number_inside_a_longer_grouped_run_is_not_found():
    assert kinds("编码 0086 138 1234 5678 9012") == [] and kinds("6222 0212 3456 7890 1234 5678") == []
    assert kinds("3 138 1234 5678 2人") == ["mobile"] and kinds("176-1716-2851 3 曹埠镇") == ["mobile"]
