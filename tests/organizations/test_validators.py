"""GB 32100-2015 unified social credit codes, phone numbers and the 换届 status of a file card."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mofan.organizations.models import add_years, election_status
from mofan.organizations.validators import (
    CREDIT_CODE_CHARSET,
    credit_code_check_char,
    validate_credit_code,
    validate_mobile,
)

DIGITS = "0123456789"

# GB 32100: position 1 registration authority, 2 organisation type, 3-8 administrative region
# (digits), 9-17 organisation code, 18 check character.
bodies = st.builds(
    lambda head, region, tail: head + region + tail,
    st.text(alphabet=CREDIT_CODE_CHARSET, min_size=2, max_size=2),
    st.text(alphabet=DIGITS, min_size=6, max_size=6),
    st.text(alphabet=CREDIT_CODE_CHARSET, min_size=9, max_size=9),
)


def reference_check_char(body: str) -> str:
    """The check character computed straight from the standard's formula, independently of
    the code under test: C18 = 31 - MOD(Σ Ci × Wi, 31), with 31 written as 0."""
    weights = [pow(3, i, 31) for i in range(17)]  # Wi = 3^(i-1) mod 31
    total = sum(CREDIT_CODE_CHARSET.index(ch) * w for ch, w in zip(body, weights, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def messages(code: str) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    return exc.value.messages


@settings(max_examples=300, deadline=None)
@given(bodies)
@example("91350100M000100Y4")
def test_any_body_with_its_computed_check_char_validates(body):
    check = credit_code_check_char(body)
    assert check == reference_check_char(body)
    validate_credit_code(body + check)
    validate_credit_code((body + check).lower())  # case does not matter


@settings(max_examples=300, deadline=None)
@given(bodies, st.sampled_from(CREDIT_CODE_CHARSET))
def test_any_other_check_char_is_rejected(body, wrong):
    if wrong == credit_code_check_char(body):
        wrong = CREDIT_CODE_CHARSET[(CREDIT_CODE_CHARSET.index(wrong) + 1) % 31]
    assert messages(body + wrong) == ["统一社会信用代码校验位不正确，请核对。"]


@settings(max_examples=200, deadline=None)
@given(bodies, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=30))
def test_a_single_changed_character_is_detected(body, position, shift):
    """The mod-31 check catches every single substitution in the body."""
    code = body + credit_code_check_char(body)
    changed = CREDIT_CODE_CHARSET[(CREDIT_CODE_CHARSET.index(code[position]) + shift) % 31]
    if 2 <= position <= 7 and changed not in DIGITS:
        return  # a letter in the region code is refused for that reason instead
    with pytest.raises(ValidationError):
        validate_credit_code(code[:position] + changed + code[position + 1 :])


@pytest.mark.parametrize(
    "code",
    [
        # published on the National Enterprise Credit Information Publicity System
        "91350100M000100Y43",
        "91110108551385082Q",
        "9144030071526726XG",  # check character X
        "91110000802100433B",
    ],
)
def test_real_world_codes_validate(code):
    validate_credit_code(code)


def test_blank_is_allowed():
    validate_credit_code("")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("91350100M000100Y4", "统一社会信用代码应为18位，当前为17位。"),
        ("91350100M000100Y433", "统一社会信用代码应为18位，当前为19位。"),
        ("9", "统一社会信用代码应为18位，当前为1位。"),
    ],
)
def test_wrong_length_is_rejected(code, expected):
    assert messages(code) == [expected]


@pytest.mark.parametrize("bad", [*"IOZSV", "*", "中", "-"])
def test_characters_outside_the_charset_are_rejected(bad):
    code = "91350100M000100Y43"
    tampered = code[:10] + bad + code[11:]
    assert messages(tampered) == [
        f"统一社会信用代码含有不允许的字符：{bad}（不使用 I、O、Z、S、V）。"
    ]


def test_non_digit_region_code_is_rejected():
    body = "91A50100M000100Y4"
    assert messages(body + credit_code_check_char(body)) == [
        "统一社会信用代码第3至8位应为行政区划码（数字）。"
    ]


@pytest.mark.parametrize("phone", ["13812345678", "0391-1234567", "0391 1234567", ""])
def test_valid_phones(phone):
    validate_mobile(phone)


@pytest.mark.parametrize("phone", ["12ab", "123456", "1381234567890", "+86 138"])
def test_invalid_phones(phone):
    with pytest.raises(ValidationError) as exc:
        validate_mobile(phone)
    assert exc.value.messages == ["请输入有效的电话号码（手机11位或座机号码）。"]


TODAY = datetime.date(2026, 7, 1)


@pytest.mark.parametrize(
    ("due", "status"),
    [
        (None, "unknown"),
        (TODAY - datetime.timedelta(days=1), "overdue"),
        (datetime.date(2020, 1, 1), "overdue"),
        (TODAY, "due_soon"),
        (TODAY + datetime.timedelta(days=90), "due_soon"),
        (TODAY + datetime.timedelta(days=91), "ok"),
        (datetime.date(2030, 1, 1), "ok"),
    ],
)
def test_election_status(due, status):
    assert election_status(due, TODAY) == status


@given(st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2099, 12, 31)))
def test_election_status_boundaries_hold_for_any_day(today):
    assert election_status(today - datetime.timedelta(days=1), today) == "overdue"
    assert election_status(today + datetime.timedelta(days=90), today) == "due_soon"
    assert election_status(today + datetime.timedelta(days=91), today) == "ok"


def test_term_is_added_in_years_including_29_february():
    assert add_years(datetime.date(2023, 7, 1), 3) == datetime.date(2026, 7, 1)
    assert add_years(datetime.date(2024, 2, 29), 5) == datetime.date(2029, 2, 28)
    assert add_years(datetime.date(2024, 2, 29), 4) == datetime.date(2028, 2, 29)


@pytest.mark.django_db
def test_party_org_due_date_from_election_date_and_term(unit_a):
    from tests.factories import PartyOrgFactory

    org = PartyOrgFactory(unit=unit_a, elected_on=datetime.date(2023, 7, 1), term_years=5)
    assert org.election_due_on == datetime.date(2028, 7, 1)
    assert org.election_status(datetime.date(2028, 4, 2)) == "due_soon"
    assert org.election_status(datetime.date(2028, 4, 1)) == "ok"
    assert org.election_status(datetime.date(2028, 7, 2)) == "overdue"
    # an explicit due date (e.g. a postponed election) wins over the computed one
    org = PartyOrgFactory(
        unit=unit_a, elected_on=datetime.date(2023, 7, 1), election_due_on=datetime.date(2027, 1, 1)
    )
    assert org.election_due_on == datetime.date(2027, 1, 1)
