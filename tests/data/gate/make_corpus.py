"""Generate corpus.jsonl: real-looking disclosure texts, each labelled with the findings it must produce.

Run ``python tests/data/gate/make_corpus.py`` to rebuild it (seeded: the output is the same every time).
Each line: {"id", "category", "title", "body", "expected": [[kind, exact text of the hit], ...]}. ``body``
is HTML for most documents (as the editor stores it) and plain text for some. Every personal number is
synthetic: made up, with check digits computed, belonging to nobody.

Labels come from what the generator put in, not from the gate: a valid ID number inserted is an expected
id_number hit; an order number, a landline, an ID with a wrong check digit or an already masked number is
inserted as a trap and expects nothing.
"""

from __future__ import annotations

import json
import random
import re
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).with_name("corpus.jsonl")
R = random.Random(20191231)

REGIONS = ["320623", "320602", "320681", "320684", "320612", "110105", "310115", "440305", "510107", "330106",
           "420106", "610113", "370202", "410105", "350203", "430104", "210102", "130102", "500103", "530102"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅文斌宇浩凯鹏飞晨阳欣怡子涵梓轩雨萱浩然一诺"
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
                   "155", "157", "158", "159", "166", "173", "176", "177", "178", "180", "181", "182", "183",
                   "186", "187", "188", "189", "191", "198", "199"]
CARD_BINS = ["622202", "622848", "621700", "623058", "621226", "622908", "621661", "622700", "625965", "436742"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ORGS = ["如东县住房和城乡建设局", "如东县人力资源和社会保障局", "如东县财政局", "如东县民政局", "如东县教育体育局",
        "如东县卫生健康委员会", "如东县自然资源和规划局", "如东县市场监督管理局", "如东县交通运输局"]
TOWNS = ["掘港街道", "城中街道", "栟茶镇", "洋口镇", "苴镇街道", "长沙镇", "大豫镇", "曹埠镇", "岔河镇", "双甸镇"]


# -- synthetic numbers -----------------------------------------------------------------------------

def check_digit(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def birth(lo: int = 1940, hi: int = 2004) -> date:
    return date(lo, 1, 1) + timedelta(days=R.randrange((date(hi, 12, 31) - date(lo, 1, 1)).days))


def id18() -> str:
    first = R.choice(REGIONS) + birth().strftime("%Y%m%d") + f"{R.randrange(1000):03d}"
    return first + check_digit(first)


def id18_wrong_check() -> str:
    good = id18()
    wrong = R.choice([c for c in "0123456789X" if c != good[-1]])
    return good[:-1] + wrong


def id15() -> str:
    return R.choice(REGIONS) + birth(1930, 1984).strftime("%y%m%d") + f"{R.randrange(1000):03d}"


def mobile() -> str:
    return R.choice(MOBILE_PREFIXES) + f"{R.randrange(10 ** 8):08d}"


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def card(length: int | None = None) -> str:
    length = length or R.choice([16, 19, 19])
    body = R.choice(CARD_BINS) + "".join(R.choice("0123456789") for _ in range(length - 7))
    return body + luhn_digit(body)


def card_bad_luhn() -> str:
    good = card()
    return good[:-1] + str((int(good[-1]) + R.randrange(1, 10)) % 10)


def masked_id() -> str:
    n = id18()
    return R.choice([n[:6] + "********" + n[-4:], n[:10] + "****" + n[-4:], n[:3] + "*" * 11 + n[-4:],
                     n[:1] + "*" * 16 + n[-1:]])


def masked_mobile() -> str:
    n = mobile()
    return R.choice([n[:3] + "****" + n[-4:], n[:3] + "*****" + n[-3:]])


def masked_card() -> str:
    n = card(16)
    return R.choice([n[:4] + " **** **** " + n[-4:], n[:6] + "******" + n[-4:]])


def landline() -> str:
    return R.choice([f"0513-8{R.randrange(10 ** 7):07d}", f"(0513){R.randrange(10 ** 7) + 80000000}",
                     f"0513-6{R.randrange(10 ** 7):07d}", f"025-8{R.randrange(10 ** 7):07d}",
                     f"8{R.randrange(10 ** 7):07d}", f"010-6{R.randrange(10 ** 7):07d}"])


def hotline() -> str:
    return R.choice(["12345", "12315", "12333", "12319", "12369", "96196", "110", "119", "120",
                     "400-820-8820", "400 600 8888", "95588", "95566", "800-828-1234"])


def name() -> str:
    return R.choice(SURNAMES) + "".join(R.choice(GIVEN) for _ in range(R.choice([1, 2, 2])))


def day(year: int = 2019) -> date:
    return date(year, 1, 1) + timedelta(days=R.randrange(365))


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def doc_no() -> str:
    return (R.choice(["东政发", "东政办发", "东住建", "东人社", "东财", "东民", "东教体", "通政发", "苏政办发"])
            + f"〔{R.choice([2018, 2019, 2020])}〕{R.randrange(1, 160)}号")


def amount() -> str:
    return R.choice([f"{R.randrange(1, 999)}.{R.randrange(100):02d}万元", f"{R.randrange(1000, 99999999)}元",
                     f"¥{R.randrange(10 ** 5, 10 ** 8):,}.00", f"{R.randrange(1, 50)}.{R.randrange(10)}亿元",
                     f"{R.randrange(10 ** 10, 10 ** 11)}元"])


def order_no() -> str:
    d = day()
    return R.choice([
        d.strftime("%Y%m%d") + f"{R.randrange(10 ** 6):06d}",
        d.strftime("%Y%m%d") + f"{R.randrange(10 ** 10):010d}",
        "JSRD-" + d.strftime("%Y") + f"-{R.randrange(1000):03d}",
        "RDZFCG" + d.strftime("%Y%m") + f"{R.randrange(1000):03d}",
        d.strftime("%Y%m%d%H%M%S") + f"{R.randrange(10 ** 4):04d}",
        f"3206230000{R.randrange(10 ** 5):05d}",
        "91320623MA1" + "".join(R.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(7)),
    ])


# -- ordinary words with 秘 and 密 (never markings) ---------------------------------------------------

ORDINARY = [
    "秘书", "秘书长", "秘书处", "秘书科", "县委秘书", "机密性", "秘密性", "保密工作", "保密工作会议", "保密教育",
    "保密法", "保守国家秘密法", "国家秘密", "商业秘密", "个人隐私和商业秘密", "奥秘", "神秘", "秘诀", "便秘",
    "密切", "密切联系群众", "精密", "精密仪器", "密码", "密码管理", "密度", "人口密度", "密集", "劳动密集型",
    "紧密", "严密", "周密", "细密", "亲密", "茂密", "秘方", "揭秘", "隐秘", "秘境", "秘鲁", "机密文件管理",
    "保密审查", "保密协议", "定密", "解密", "涉密人员", "涉密载体", "泄密", "失密", "密室", "密封", "密闭",
    "密林", "稠密", "秘而不宣", "秘密写票", "无记名投票和秘密写票", "密不可分", "紧密型医共体", "保密期限",
    "密码锁", "商用密码", "加密", "密钥", "秘书工作", "办公室秘书", "秘书学", "密接", "密切接触者", "缜密",
    "精密制造", "高密度", "保密室", "保密委员会", "秘密通道（景区）", "秘史", "秘闻", "秘籍", "密林深处", "甜蜜",
    "机密等级划分标准", "绝密档案解密展", "保守秘密", "严守秘密", "不得泄露国家秘密和工作秘密", "涉及国家秘密的信息",
    "工作秘密管理暂行办法", "内部资料性出版物", "内部资料性出版物准印证", "单位内部使用的车辆", "请注意保密措施的落实",
    "对不宜公开的信息依法不予公开", "注意保密和安全", "机密性、完整性和可用性", "秘密会谈（历史）", "密级标识规范",
    "蜜蜂", "秘制", "秘色瓷", "密云区", "保密宣传月", "保密自查", "密码应用安全性评估", "亲密无间",
]


def ordinary_sentence() -> str:
    w = R.choice(ORDINARY)
    return R.choice([
        f"会议强调，要{w}，确保各项工作落到实处。",
        f"据了解，“{w}”相关工作已纳入年度考核。",
        f"此次培训围绕{w}等内容进行了讲解。",
        f"{R.choice(ORGS)}召开{w}专题会议，部署下一阶段工作。",
        f"与会人员就{w}问题进行了深入交流。",
    ])


# -- documents -------------------------------------------------------------------------------------

class Doc:
    """A document being written; ``hit`` marks an expected finding where it is written."""

    def __init__(self, category: str, title: str):
        self.category, self.title = category, title
        self.lines: list[str] = []
        self.kinds: list[str] = []
        self.html = R.random() < 0.75

    def add(self, line: str) -> None:
        self.lines.append(line)

    def hit(self, kind: str, text: str) -> str:
        self.kinds.append(kind)
        return f"\x01{len(self.kinds) - 1}\x02{text}\x03"

    def body(self) -> str:
        if not self.html:
            return "\n".join(self.lines)
        return "\n".join(line if line.startswith("<table") else f"<p>{line}</p>" for line in self.lines)

    def to_json(self, index: int) -> dict:
        """Markers become labels: [kind, text, n] = the n-th (from 0) occurrence of text in title + body."""
        marked = self.title + "\n" + self.body()
        clean, expected, last = "", [], 0
        for m in MARK.finditer(marked):
            clean += marked[last:m.start()]
            needle = m.group(2)
            expected.append([self.kinds[int(m.group(1))], needle, _occurrences(clean, needle)])
            clean += needle
            last = m.end()
        clean += marked[last:]
        title, body = clean.split("\n", 1)
        return {"id": f"{self.category}-{index:03d}", "category": self.category, "title": title,
                "body": body, "expected": expected}


MARK = re.compile("\x01(\\d+)\x02(.*?)\x03")


def _occurrences(text: str, needle: str) -> int:
    count, start = 0, text.find(needle)
    while start >= 0:
        count += 1
        start = text.find(needle, start + 1)
    return count


def sep_mobile(d: Doc) -> str:
    n = mobile()
    form = R.choice(["plain", "plain", "dash", "space", "+86"])
    if form == "dash":
        return d.hit("mobile", f"{n[:3]}-{n[3:7]}-{n[7:]}")
    if form == "space":
        return d.hit("mobile", f"{n[:3]} {n[3:7]} {n[7:]}")
    if form == "+86":
        return "+86 " + d.hit("mobile", n)
    return d.hit("mobile", n)


def housing_list(i: int) -> Doc:
    year = R.choice([2018, 2019, 2020])
    d = Doc("housing", f"关于{year}年度{R.choice(['公共租赁住房', '廉租住房', '住房租赁补贴'])}保障资格审核结果的公示")
    d.add(f"根据《如东县公共租赁住房管理办法》（{doc_no()}）规定，经街道初审、县住建局复审，现将{year}年第"
          f"{R.randrange(1, 5)}批符合保障条件的家庭名单予以公示。")
    d.add(f"公示时间：{cn_date(day(year))}至{cn_date(day(year))}（共7个工作日）。")
    mode = R.choice(["raw", "raw", "masked", "masked", "mixed", "names"])
    sep = R.choice(["　", "　", " ", "\t", "，", " | "])
    d.add(sep.join(["序号", "姓名", "身份证号", "联系电话", "家庭人口", "所在街道"]))
    for row in range(1, R.randrange(3, 9)):
        if mode == "raw" or (mode == "mixed" and R.random() < 0.3):
            ident = d.hit("id_number", id18()) if R.random() < 0.9 else d.hit("id_number", id15())
            phone = sep_mobile(d) if R.random() < 0.7 else masked_mobile()
        elif mode == "names":
            ident, phone = "—", "—"
        else:
            ident, phone = masked_id(), masked_mobile()
        d.add(sep.join([str(row), name(), ident, phone, f"{R.randrange(1, 6)}", R.choice(TOWNS)]))
    d.add(f"公示期间，如有异议，请向县住房保障中心反映，联系电话：{landline()}；监督电话：{hotline()}。")
    d.add(f"{R.choice(ORGS)}　{cn_date(day(year))}")
    return d


def subsidy_list(i: int) -> Doc:
    d = Doc("subsidy", f"{R.choice(TOWNS)}{R.choice(['高龄津贴', '困难残疾人生活补贴', '耕地地力保护补贴', '就业见习补贴'])}发放名单公示")
    d.add(f"现将{cn_date(day())}核定的发放名单公示如下，补贴资金通过“一卡通”发放至本人账户。")
    for row in range(1, R.randrange(3, 7)):
        cardno = R.choice(["raw", "masked", "masked", "bad"])
        if cardno == "raw":
            number = card()
            text = number if R.random() < 0.6 else " ".join(number[k:k + 4] for k in range(0, len(number), 4))
            shown = d.hit("bank_card", text)
        elif cardno == "bad":
            shown = card_bad_luhn()  # a typo: no valid card number, nothing to find
        else:
            shown = masked_card()
        d.add(f"{row}. {name()}，{R.choice(TOWNS)}，发放金额{R.randrange(100, 3000)}元，账号{shown}")
    d.add(f"资金批次号：{order_no()}；咨询电话：{landline()}。")
    return d


def contact_notice(i: int) -> Doc:
    d = Doc("notice", f"关于开展{R.choice(['2019年度安全生产大检查', '城乡居民医保集中缴费', '农村危房改造申报', '退役军人信息采集', '第七次全国人口普查摸底'])}工作的通知")
    d.add(f"各镇（区、街道），县各有关部门：根据{doc_no()}文件精神，现就有关事项通知如下。")
    d.add(f"一、时间安排：{cn_date(day())}至{cn_date(day())}。")
    d.add(f"二、工作要求：各单位要高度重视，{R.choice(['密切配合', '周密部署', '严密组织', '紧密协作'])}，确保按时完成。")
    d.add(ordinary_sentence())
    contact = R.choice(["landline", "mobile", "both", "hotline"])
    if contact == "landline":
        d.add(f"联系人：{name()}，联系电话：{landline()}。")
    elif contact == "mobile":
        d.add(f"联系人：{name()}，手机：{sep_mobile(d)}。")
    elif contact == "both":
        d.add(f"联系人：{name()}，电话：{landline()}，手机：{sep_mobile(d)}。")
    else:
        d.add(f"咨询请拨打政务服务热线{hotline()}或{hotline()}。")
    d.add(f"{R.choice(ORGS)}办公室　{cn_date(day())}")
    return d


def procurement(i: int) -> Doc:
    d = Doc("trading", f"{R.choice(['如东县城区道路提升改造工程', '县人民医院医疗设备采购', '乡镇污水管网建设项目', '中小学校服采购'])}{R.choice(['招标公告', '中标候选人公示', '成交结果公告'])}")
    d.add(f"项目编号：{order_no()}　招标编号：{order_no()}")
    d.add(f"预算金额：{amount()}，最高限价：{amount()}，投标保证金：{R.randrange(1, 50) * 10000}元。")
    d.add(f"中标单位：如东县{R.choice(['建筑', '市政', '医疗器械', '服饰'])}有限公司，统一社会信用代码：{order_no()}。")
    d.add(f"开户银行：中国工商银行如东支行，账号：{R.choice(['1111', '1105', '3206'])}{R.randrange(10 ** 15, 10 ** 16)}。")
    d.add(f"工期：{R.randrange(30, 365)}日历天；项目负责人：{name()}（注册建造师证书编号：苏{R.randrange(10 ** 12, 10 ** 13)}）。")
    if R.random() < 0.35:
        d.add(f"项目负责人联系电话：{sep_mobile(d)}。")
    else:
        d.add(f"采购人联系电话：{landline()}；代理机构电话：{landline()}。")
    d.add(f"发布日期：{day().strftime('%Y%m%d')}　文件编号：{doc_no()}")
    return d


def policy(i: int) -> Doc:
    d = Doc("policy", f"{R.choice(ORGS)}关于印发《{R.choice(['政府信息公开工作制度', '重大行政决策程序规定', '行政规范性文件管理办法', '公共资源交易管理办法'])}》的通知")
    d.add(f"{doc_no()}")
    d.add("第一条　为规范本单位工作，根据有关法律法规，结合本县实际，制定本办法。")
    if R.random() < 0.5:
        d.add("第二条　行政机关不得公开涉及国家秘密、商业秘密、个人隐私的政府信息。"
              "但是，第三方同意公开或者行政机关认为不公开会对公共利益造成重大影响的，予以公开。")
    d.add(f"第三条　{ordinary_sentence()}")
    errors = [("截止", "截止{y}年底，全县共有{n}户家庭纳入保障。"), ("其它", "其它未尽事宜，按有关规定执行。"),
              ("做为", "做为试点单位，要先行先试。"), ("再接再励", "希望各单位再接再励，取得更大成绩。"),
              ("布署", "认真落实县委县政府的布署要求。"), ("贯切落实", "要贯切落实上级决策部署。"),
              ("国务院办公室", "根据国务院办公室有关通知要求，"), ("既使", "既使遇到困难，也要按期完成。"),
              ("必须品", "保障居民生活必须品供应。")]
    fine = ["截止日期为{y}年12月31日。", "报名截止后不再受理。", "其他未尽事宜，按有关规定执行。",
            "作为试点单位，要先行先试。", "截至{y}年底，全县共有{n}户家庭纳入保障。", "截止到{y}年6月，已完成过半。",
            "认真落实县委县政府的部署要求。", "根据国务院办公厅有关通知要求，", "必须严格遵守。"]
    for _ in range(R.randrange(1, 4)):
        if R.random() < 0.45:
            word, template = R.choice(errors)
            line = template.format(y=R.choice([2018, 2019]), n=R.randrange(100, 999))
            d.add(f"第{R.randrange(4, 20)}条　" + line.replace(word, d.hit("term", word), 1))
        else:
            d.add(f"第{R.randrange(4, 20)}条　" + R.choice(fine).format(y=R.choice([2018, 2019]), n=R.randrange(100, 999)))
    d.add(f"本办法自{cn_date(day())}起施行，有效期{R.randrange(2, 6)}年。")
    return d


def political_news(i: int) -> Doc:
    d = Doc("news", R.choice(["县委理论学习中心组召开专题学习会", "我局召开党风廉政建设工作会议", "县政府召开第12次常务会议"]))
    good = ["会议深入学习贯彻习近平新时代中国特色社会主义思想和党的十九大精神。",
            "会议传达学习了党的十九届四中全会精神。", "坚持以习近平同志为核心的党中央的坚强领导。",
            "积极参与“一带一路”建设，推动高质量发展。", "持之以恒推进全面从严治党。", "坚决打赢脱贫攻坚战。"]
    bad = [("新时代中国特色社会主义思想", "会议深入学习贯彻新时代中国特色社会主义思想。"),
           ("19大", "会议认真学习党的19大以来的重要文件。"),
           ("届4中全会", "会议传达学习了党的十九届4中全会精神。"),
           ("以习近平为核心", "坚持以习近平为核心的党中央的坚强领导。"),
           ("一带一路”战略", "主动融入“一带一路”战略，推动高质量发展。"),
           ("全面从严制党", "持之以恒推进全面从严制党。"), ("脱贫功坚", "坚决打赢脱贫功坚战。")]
    d.add(f"{cn_date(day())}，{R.choice(ORGS)}召开会议。")
    for _ in range(R.randrange(2, 5)):
        if R.random() < 0.3:
            hit, line = R.choice(bad)
            d.add(line.replace(hit, d.hit("term", hit), 1))
        else:
            d.add(R.choice(good))
    d.add(ordinary_sentence())
    d.add(f"县委常委、办公室主任、县委秘书长{name()}出席会议并讲话。")
    return d


def ordinary_news(i: int) -> Doc:
    d = Doc("ordinary", R.choice(["我县开展保密宣传月活动", "县保密委员会召开全体会议", "精密制造产业园项目集中开工",
                                  "县疾控中心开展密切接触者排查演练", "县档案馆举办绝密档案解密展", "我县召开秘书工作培训会"]))
    for _ in range(R.randrange(3, 7)):
        d.add(ordinary_sentence())
    d.add(f"活动期间共发放宣传资料{R.randrange(500, 5000)}份，接受咨询{R.randrange(50, 500)}人次，"
          f"涉及资金{amount()}。")
    return d


def marked_doc(i: int) -> Doc:
    marking, level_line = R.choice([
        ("秘密★1年", "秘密★1年"), ("机密★5年", "机密★5年"), ("绝密★长期", "绝密★长期"), ("秘密★", "秘密★"),
        ("秘密", "秘密"), ("机密", "机密"), ("内部资料", "内部资料"), ("内部资料　注意保密", "内部资料　注意保密"),
        ("工作秘密", "工作秘密"), ("机密★10年", "机密 ★ 10年"), ("秘密★6个月", "秘密★6个月"),
    ])
    placement = R.choice(["top", "top", "bracket", "title", "label", "tail"])
    title = f"关于{R.choice(['2020年度重点项目', '干部任免', '信访积案化解', '突发事件应急处置'])}有关情况的{R.choice(['报告', '通报', '请示'])}"
    d = Doc("marked", title)
    if placement == "top":
        d.add(d.hit("classification", level_line))
        d.add(doc_no())
    elif placement == "bracket":
        d.add(doc_no())
        d.add("（" + d.hit("classification", level_line.replace("　", "，")) + "）")
    elif placement == "title":
        d.title = d.hit("classification", level_line) + "　" + title
    elif placement == "label":
        level = R.choice(["秘密", "机密", "绝密"])
        d.add("密级：" + d.hit("classification", level))
    else:
        d.add(doc_no())
    d.add(f"县政府：{ordinary_sentence()}")
    d.add(f"现将有关情况报告如下。截至{cn_date(day())}，共排查{R.randrange(10, 90)}件。")
    if placement == "tail":
        d.add("（" + d.hit("classification", R.choice(["此件不宜公开", "内部资料，注意保密", "此件注意保密"])) + "）")
    d.add(f"{R.choice(ORGS)}　{cn_date(day())}")
    return d


def internal_use(i: int) -> Doc:
    d = Doc("marked", f"{R.choice(ORGS)}{R.choice(['工作简报', '信息专报', '情况通报'])}第{R.randrange(1, 40)}期")
    marking = R.choice(["【内部资料】", "[内部资料]", "（内部使用）", "【注意保密】"])
    d.add(marking[0] + d.hit("classification", marking[1:-1]) + marking[-1])
    d.add(f"本期要目：{ordinary_sentence()}")
    d.add("本材料" + d.hit("classification", "仅供内部使用") + "，请勿转发。")
    return d


def old_ids(i: int) -> Doc:
    d = Doc("archive", f"{R.choice(['1998年度', '1996年度', '1999年度'])}土地承包经营权证补发名单")
    d.add("根据档案记载，下列人员的承包经营权证予以补发（证件号码为第一代身份证号码）：")
    for row in range(1, R.randrange(3, 6)):
        number = d.hit("id_number", id15()) if R.random() < 0.7 else masked_id()[:15]
        d.add(f"{row}、{name()}，{number}，{R.choice(TOWNS)}{R.randrange(1, 30)}组")
    d.add(f"营业执照注册号：{order_no()}；档案编号：{R.randrange(10 ** 14, 10 ** 15)}。")
    return d


def traps(i: int) -> Doc:
    d = Doc("traps", R.choice(["2019年第三季度政务服务数据通报", "关于规范公文编号的通知", "县12345热线运行情况月报",
                               "水质检测结果公告", "2019年财政预算执行情况"]))
    parts = [
        f"本季度12345热线共受理诉求{R.randrange(1000, 9999)}件，办结率{R.randrange(90, 100)}.{R.randrange(10)}%。",
        f"文件编号统一为{doc_no()}格式，日期写作{day().strftime('%Y%m%d')}或{cn_date(day())}。",
        f"订单号{order_no()}，交易流水号{order_no()}，已完成退费。",
        f"监督电话：{landline()}、{hotline()}；传真：{landline()}。",
        f"全年一般公共预算收入{amount()}，支出{amount()}，同比增长{R.randrange(1, 20)}.{R.randrange(10)}%。",
        f"出厂水浑浊度0.{R.randrange(10, 99)}NTU，余氯0.{R.randrange(10, 99)}mg/L，检测批次{day().strftime('%Y%m%d')}{R.randrange(100, 999)}。",
        f"身份证号码{id18_wrong_check()}经核验有误，已退回补正。",
        f"已脱敏号码：{masked_id()}、{masked_mobile()}、{masked_card()}。",
        f"统一社会信用代码{order_no()}，组织机构代码{R.randrange(10 ** 7, 10 ** 8)}-{R.randrange(10)}。",
        f"银行卡号{card_bad_luhn()}校验失败。",
        f"合同编号HT{day().strftime('%Y%m%d')}{R.randrange(10 ** 5, 10 ** 6)}，金额{R.randrange(10 ** 10, 10 ** 11)}元。",
        f"不动产单元号320623{R.randrange(10 ** 6, 10 ** 7)}GB{R.randrange(10 ** 5, 10 ** 6)}F{R.randrange(10 ** 7, 10 ** 8)}。",
        f"准考证号{R.choice(['2019', '2020'])}{R.randrange(10 ** 9, 10 ** 10)}，座位号{R.randrange(1, 40)}。",
    ]
    for line in R.sample(parts, R.randrange(3, 7)):
        d.add(line)
    return d


def mixed(i: int) -> Doc:
    """A real-looking mix: a reply to an information-disclosure request with a citizen's details left in."""
    d = Doc("reply", "政府信息公开申请答复书")
    d.add(f"{name()}：")
    d.add(f"本机关于{cn_date(day())}收到您的政府信息公开申请（申请编号：{day().strftime('%Y%m%d')}{R.randrange(1000, 9999)}）。")
    if R.random() < 0.5:
        d.add(f"申请人身份证号：{d.hit('id_number', id18())}，联系电话：{sep_mobile(d)}。")
    else:
        d.add(f"申请人身份证号：{masked_id()}，联系电话：{masked_mobile()}。")
    d.add("经审查，您申请公开的信息中涉及商业秘密的部分，依据《中华人民共和国政府信息公开条例》第十五条不予公开。")
    if R.random() < 0.3:
        d.add(f"其余部分{d.hit('term', '其它')}信息，本机关予以公开。")
    else:
        d.add("其余信息，本机关予以公开。")
    d.add(f"如对本答复不服，可在收到之日起60日内申请行政复议。{R.choice(ORGS)}　{cn_date(day())}")
    return d


GENERATORS = [(housing_list, 34), (subsidy_list, 36), (contact_notice, 30), (procurement, 22), (policy, 30),
              (political_news, 22), (ordinary_news, 26), (marked_doc, 30), (internal_use, 8), (old_ids, 12),
              (traps, 30), (mixed, 16)]


def handwritten() -> list[Doc]:
    """Edge cases written one by one (not from a template), labelled by what a reviewer would want."""
    docs = []

    def doc(title: str, *lines: str, html: bool = True) -> Doc:
        d = Doc("edge", title)
        d.html = html
        docs.append(d)
        return d

    d = doc("关于调整城区部分公交线路的公告")
    d.add(f"联系电话：（0513）84512345、{d.hit('mobile', mobile())}（王科长）。")
    d = doc("举报方式")
    d.add("举报电话：12345，短信举报：106575000012345，邮箱：rdjb@163.com。")
    d = doc("材料报送通知")
    d.add(f"请于2019年3月12日前报送，联系人：陈**，电话：{masked_mobile()}。")
    d = doc("困难群众临时救助公示")
    n = id18()[:-1]
    n = n[:-1] + str((int(n[-1]) + 1) % 10)
    while check_digit(n) != "X":
        n = n[:-3] + f"{R.randrange(1000):03d}"
    d.add(f"申请人：{name()}，身份证号：{d.hit('id_number', n + 'x')}，救助金额800元。")
    d = doc("全角数字")
    wide = mobile().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    d.add(f"联系手机：{d.hit('mobile', wide)}")
    wide_id = id18().translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    d.add(f"身份证：{d.hit('id_number', wide_id)}")
    d = doc("国库集中支付账户公告")
    d.add("账户名：如东县财政局国库集中支付中心，账号：10-705001040001234，开户行：农行如东支行。")
    d = doc("养老金发放通知")
    c = card(19)
    d.add("养老金发放至社保卡，卡号" + d.hit("bank_card", " ".join(c[k:k + 4] for k in range(0, 19, 4))) + "。")
    d = doc("产品质量抽检结果")
    d.add("本次抽查产品批号20190312138，商品条码6901234567892，生产日期20190228。")
    d = doc("县政府常务会议")
    d.add("会议由县政府秘书长主持，各成员单位密切配合，周密部署，严密组织。")
    d = doc("关于印发《如东县机关保密工作管理办法》的通知")
    d.add("密级分为“绝密”“机密”“秘密”三级，标注在公文首页左上角。")
    d.add("第十二条　机关、单位应当加强保密工作，不得泄露国家秘密和工作秘密。")
    d = doc("情况报告")
    d.add("本文件" + "密级为" + d.hit("classification", "机密") + "，请妥善保管。")
    d = doc("工作简报")
    d.add(d.hit("classification", "内部资料，仅供参考"))
    d.add("本期要目：我县召开2019年度目标任务推进会。")
    d = doc("【机密】关于干部调整的请示")
    d.title = "【" + d.hit("classification", "机密") + "】关于干部调整的请示"
    d.add("县委组织部：现将有关情况请示如下。")
    d = doc("网站链接")
    d.add("详见http://www.rudong.gov.cn/rdxrmzf/2019/0312/c15912345678.shtml。")
    d = doc("联系方式")
    d.add(f"手机：{d.hit('mobile', mobile())}/{d.hit('mobile', mobile())}，电话：0513-84512345-8001。")
    d = doc("统计数据")
    d.add("全县常住人口1381234人，面积13812345678平方米（示意），合计 13500000000 元。")
    d = doc("发票信息")
    d.add("发票代码032001900311，发票号码12345678，统计用区划代码320623100001。")
    d = doc("考生须知")
    d.add("出生日期：19900101，身份证后四位：1231，银行卡尾号4321。")
    d = doc("截至时间")
    d.add("截" + "止" + "目前，" .replace("截止", "截止"))
    d.lines[-1] = d.hit("term", "截止") + "目前，已完成" + str(R.randrange(10, 99)) + "户。"
    d.add(d.hit("term", "截止") + "发稿时，现场已恢复通行。")
    d.add("项目于2019年12月31日截止，截止时间以系统为准。")
    d = doc("信用信息公示", html=False)
    d.add("行政处罚决定书文号：东市监罚〔2019〕128号\n当事人：如东县某某商贸有限公司\n统一社会信用代码：91320623MA1PX5L82T")
    d = doc("秘密★1年的规定", html=False)
    d.add("涉密公文应当在首页左上角标注密级和保密期限，例如“秘密★1年”。")  # an example: a false alarm
    d = doc("秘书工作培训会")
    d.add("县委办公室秘书科组织开展秘书工作培训，讲解公文中“秘密”“机密”等密级的标注方法。")
    d = doc("防疫通报")
    d.add("对密切接触者和密接的密接开展排查，共排查密接者" + str(R.randrange(10, 99)) + "人。")
    d = doc("中标公示")
    d.add("中标人：如东县某某建设工程有限公司，项目经理：" + name() + "，联系电话：" + d.hit("mobile", mobile()) + "。")
    d.add("投标报价：13812345.67元，工期：180日历天。")
    d = doc("公租房退出名单")
    d.add("序号	姓名	身份证号")
    for k in range(1, 4):
        d.add(f"{k}	{name()}	" + d.hit("id_number", id18()))
    d = doc("（此件公开发布）关于做好2019年防汛工作的通知")
    d.add("（此件公开发布）")
    d.add("各镇（区、街道）：" + ordinary_sentence())
    d = doc("绝密档案解密展开幕")
    d.add("展览展出了一批已经解密的“绝密”档案，揭秘了许多鲜为人知的历史。")
    d = doc("表格中的号码")
    d.html = True
    mob, ident = mobile(), id18()
    d.lines = ["<table><tr><td>姓名</td><td>电话</td><td>证件号</td></tr><tr><td>" + name() + "</td><td>"
               + d.hit("mobile", mob) + "</td><td>" + d.hit("id_number", ident) + "</td></tr></table>"]
    return docs


def build() -> list[dict]:
    docs = []
    for generator, count in GENERATORS:
        for index in range(1, count + 1):
            docs.append(generator(index).to_json(index))
    docs += [d.to_json(index) for index, d in enumerate(handwritten(), 1)]
    return docs


if __name__ == "__main__":
    corpus = build()
    OUT.write_text("".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in corpus), encoding="utf-8")
    print(f"{len(corpus)} documents, {sum(len(d['expected']) for d in corpus)} expected findings -> {OUT}")
