"""Property tests: the gate never fails on arbitrary text, and masked text has no personal number left."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.gate import check_body, check_text, load_terms, mask_text
from publisher.gate.findings import PERSONAL_KINDS
from publisher.gate.htmltext import mask_body
from publisher.gate.personal import find_personal, id_check_digit, luhn_valid

TERMS = load_terms()

ID = "32062319900101123" + id_check_digit("32062319900101123")
PIECES = [ID, ID[:17] + "X", "320623750612401", "13812345678", "138-1234-5678", "138 1234 5678", "+86",
          "6222021234567890128", "6222 0212 3456 7890 128", "秘密★1年", "机密", "【内部资料】", "截止2019年", "其它",
          "*", "-", " ", "\n", "0", "1", "9", "X", "x", "，", "。", "<p>", "</p>", "<br>", "&amp;", "１３８"]
# text made of digits, separators and the pieces that matter, so numbers really occur
tricky = st.lists(st.one_of(st.sampled_from(PIECES), st.text(alphabet="0123456789 -*Xx+", max_size=6),
                            st.text(max_size=4)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), tricky))
def test_check_text_never_raises_on_arbitrary_text(text):
    for finding in check_text(text, "body", TERMS):
        assert set(finding.to_json()) == {"kind", "field", "where", "text", "suggestion"}
        assert ID not in finding.text


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), tricky))
def test_masked_text_has_no_id_mobile_or_bank_card_finding(text):
    masked = mask_text(text)
    assert len(masked) == len(text)
    assert [f for f in check_text(masked, "body", TERMS) if f.kind in PERSONAL_KINDS] == []


@settings(max_examples=200, deadline=None)
@given(tricky)
def test_masked_html_body_has_no_personal_finding_and_the_body_check_never_raises(body):
    masked, _ = mask_body(body)
    assert [f for f in check_body(masked, TERMS) if f.kind in PERSONAL_KINDS] == []


@given(st.text(alphabet="0123456789", min_size=16, max_size=19))
def test_every_card_found_passes_luhn(digits):
    for hit in find_personal(digits):
        if hit.kind == "bank_card":
            assert luhn_valid(digits)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", [
    "\n".join(["秘密"] * 3000), "秘密 " * 3000 + "x", "秘密★ " * 3000 + "x", "内部资料，" * 3000 + "好",
    "（" + "秘密 " * 2000, "【" * 3000 + "秘密" + "】" * 3000, "秘密★1年、" * 3000 + "x", "13812345678 " * 3000,
    "1 " * 5000, "1-" * 5000, "1" * 20000, "截止" * 5000, " \n" * 5000,
])
def test_pathological_text_is_checked_in_bounded_time(text):
    check_text(text, "body", TERMS)
