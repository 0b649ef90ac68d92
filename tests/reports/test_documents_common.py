"""The small rules the official documents share: Chinese numerals, Arabic dates, document
numbers in 六角括号, title line breaks, the signature/date offsets and the font chains."""

from __future__ import annotations

import datetime
import itertools

import pytest

from mofan.campaigns.models import Campaign
from mofan.reports import fonts
from mofan.reports.documents.common import (
    cn_date,
    cn_number,
    event_name,
    issued_number,
    normalise_number,
    number_prefix,
    split_title,
    width_em,
)
from mofan.reports.render.page import condensing, signature_indents


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (35, "三十五"), (100, "一百"),
     (105, "一百零五"), (110, "一百一十"), (999, "九百九十九"), (0, "0"), (1000, "1000")],
)  # fmt: skip
def test_chinese_numerals(n, text):
    assert cn_number(n) == text


def test_dates_use_arabic_numerals_without_leading_zeros():
    assert cn_date(datetime.date(2020, 10, 5)) == "2020年10月5日"
    assert cn_date(datetime.date(2021, 1, 31)) == "2021年1月31日"


@pytest.mark.parametrize(
    "typed",
    ["焦直文[2020]140号", "焦直文（2020）140号", "焦直文(2020)140号", "焦直文【2020】140号",
     "焦直文［2020］140号", "焦直文〔2020〕140号", " 焦直文〔 2020 〕140号 "],
)  # fmt: skip
def test_document_numbers_take_hexagonal_brackets(typed):
    assert normalise_number(typed) == "焦直文〔2020〕140号"
    assert number_prefix(typed) == "焦直文"


def test_a_new_document_number_leaves_the_serial_to_the_office():
    campaign = Campaign(document_number="焦直文[2020]140号")
    assert issued_number(campaign, datetime.date(2026, 5, 20)) == "焦直文〔2026〕\u3000\u3000号"
    assert issued_number(Campaign(document_number=""), datetime.date(2026, 5, 20)) == ""


def test_titles_break_between_words_and_never_inside_a_number():
    width = 19.1
    for title in (
        "关于2020年市直机关创建模范机关考评结果暨命名先进单位有关事项的通报",
        "关于命名2024年度创建模范机关先进单位的通知",
        "关于印发《市直机关创建模范机关实施方案》的通知",
        "乐清市市政公用工程建设中心2020年度模范机关创建问题整改通知书",
    ):
        lines = split_title(title, width)
        assert "".join(lines) == title
        assert all(width_em(line) <= width for line in lines)
        assert len(lines) == 2
        for left, right in itertools.pairwise(lines):
            assert not (left[-1].isdigit() and (right[0].isdigit() or right[0] == "年"))
            assert right[0] not in "，。、）》"
            for word in ("模范机关", "先进单位", "考评结果", "通知书"):
                joined = left[-3:] + right[:3]
                if word in joined:
                    assert word in left or word in right, (left, right)
    assert split_title("短标题", width) == ["短标题"]


@pytest.mark.parametrize(
    ("title", "kept"),
    [
        ("2020年度模范机关创建考评（乐清方案示例）问题整改通知书", "（乐清方案示例）"),
        ("关于印发2020年度模范机关创建（yueqing-2020）考评结果的通报", "yueqing-2020"),
        (
            "关于转发《市直机关创建模范机关评选办法》有关事项的补充通知",
            "《市直机关创建模范机关评选办法》",
        ),
    ],
)
def test_titles_never_break_inside_a_bracketed_name_or_a_latin_word(title, kept):
    lines = split_title(title, 19.1)
    assert "".join(lines) == title and len(lines) >= 2
    assert any(kept in line for line in lines), lines


def test_signature_and_date_offsets_follow_the_standard():
    # The date starts two characters right of the signature's first character…
    sig, date = "中共焦作市委市直机关工作委员会", "2020年10月15日"
    right_sig, right_date = signature_indents(sig, date)
    assert right_sig == 2
    assert (width_em(sig) + right_sig) - (width_em(date) + right_date) == 2
    # …unless the date is the longer: then it is two from the right and the signature moves.
    right_sig, right_date = signature_indents("某委", date)
    assert right_date == 2
    assert (width_em("某委") + right_sig) - (width_em(date) + right_date) == 2


def test_a_sealed_signature_is_centred_on_the_date_four_characters_from_the_right():
    sig, date = "中共焦作市委市直机关工作委员会", "2020年10月15日"
    right_sig, right_date = signature_indents(sig, date, sealed=True)
    assert right_date == 4
    assert right_sig == 0  # 15 characters cannot centre on a 6-character date: flush right
    short = "某工委"
    right_sig, right_date = signature_indents(short, date, sealed=True)
    assert right_sig + width_em(short) / 2 == pytest.approx(right_date + width_em(date) / 2)


def test_28_characters_of_3hao_fit_the_156mm_line():
    assert condensing(8845, 28, 16) == -5  # 0.25 pt
    assert condensing(20 * 16 * 28, 28, 16) == 0


def test_font_chains_start_with_the_standards_faces():
    assert fonts.docx_name("title") == "方正小标宋简体"
    assert fonts.docx_name("body") == "仿宋_GB2312"
    assert fonts.docx_name("heading1") == "黑体"
    assert fonts.docx_name("heading2") == "楷体_GB2312"
    assert fonts.docx_name("page_number") == "宋体"
    assert fonts.chain("body")[:3] == ("仿宋_GB2312", "仿宋", "FangSong")
    assert fonts.chain("heading1")[:2] == ("黑体", "SimHei")
    assert fonts.chain("heading2")[:2] == ("楷体_GB2312", "楷体")
    assert "小标宋" in fonts.chain("title")
    for role in fonts.FACES:
        assert fonts.chain(role)[-1].startswith("Noto ")
        assert fonts.css_family(role).endswith(f'"{fonts.face(role).pdf_family}", '
                                               f"{fonts.face(role).generic}")  # fmt: skip


@pytest.mark.skipif(not fonts.cjk_fonts_installed(), reason="fonts-noto-cjk is not installed")
def test_fallbacks_resolve_to_an_installed_face():
    for role in fonts.FACES:
        assert fonts.resolve(role) in fonts.installed_families()
    assert fonts.font_files("Noto Serif CJK SC")


@pytest.mark.parametrize(
    ("name", "event"),
    [
        ("2020年度模范机关创建考评", "2020年度模范机关创建"),
        ("2020年度模范机关创建考评工作", "2020年度模范机关创建"),
        ("2020年度模范机关创建考评（乐清方案示例）", "2020年度模范机关创建（乐清方案示例）"),
        ("2021年模范机关创建（第二批）", "2021年模范机关创建（第二批）"),
        ("模范机关创建", "模范机关创建"),
    ],
)
def test_event_name_drops_a_trailing_kaoping_even_before_a_bracketed_note(name, event):
    """So that "开展了…考评" never reads "…考评（乐清方案示例）考评"."""
    assert event_name(Campaign(name=name)) == event


def test_the_campaign_document_is_cited_title_first_then_its_number():
    from mofan.reports.documents.common import cited_basis

    campaign = Campaign(
        approved_by="市委市直机关工委",
        document_title="《关于开展创建模范机关活动的通知》",
        document_number="焦直文[2020]140号",
    )
    assert cited_basis(campaign) == (
        "根据市委市直机关工委《关于开展创建模范机关活动的通知》（焦直文〔2020〕140号）要求"
    )
    campaign.document_number = ""
    assert cited_basis(campaign) == "根据市委市直机关工委《关于开展创建模范机关活动的通知》要求"
    campaign.document_title, campaign.document_number = "", "焦直文〔2020〕140号"
    assert cited_basis(campaign) == "根据市委市直机关工委焦直文〔2020〕140号文件要求"
