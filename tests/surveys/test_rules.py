"""The pure rules: reading a respondent's form and the satisfaction share."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mofan.surveys.rules import MAX_TEXT, read_form, satisfaction
from mofan.surveys.templates import LEVELS

FROZEN = {
    "version": 3,
    "sections": [
        {
            "title": "评价",
            "questions": [
                {
                    "key": "q1",
                    "kind": "single",
                    "options": LEVELS,
                    "satisfied": ["满意", "比较满意"],
                    "required": True,
                },
                {
                    "key": "q2",
                    "kind": "single",
                    "options": LEVELS,
                    "satisfied": ["满意", "比较满意"],
                    "required": True,
                },
                {
                    "key": "q3",
                    "kind": "multiple",
                    "options": ["甲", "乙", "丙"],
                    "satisfied": [],
                    "required": False,
                },
                {
                    "key": "q4",
                    "kind": "scale",
                    "options": [],
                    "satisfied": ["4", "5"],
                    "required": False,
                },
                {"key": "q5", "kind": "text", "options": [], "satisfied": [], "required": False},
            ],
        }
    ],
}
answer = st.tuples(st.sampled_from(["q1", "q2"]), st.sampled_from(LEVELS), st.integers(1, 5))


def test_no_answers_no_share() -> None:
    assert satisfaction(FROZEN, []) is None
    assert satisfaction(FROZEN, [("q3", "甲", 4), ("q5", "x", 1)]) is None  # unscored only


@given(st.lists(answer, max_size=30))
def test_share_between_zero_and_one(answers: list[tuple[str, str, int]]) -> None:
    share = satisfaction(FROZEN, answers)
    if not answers:
        assert share is None
    else:
        assert share is not None and 0 <= share <= 1


@given(st.lists(answer, min_size=1, max_size=30), st.data())
def test_improving_an_answer_never_lowers_the_share(
    answers: list[tuple[str, str, int]], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(answers) - 1))
    key, _value, count = answers[i]
    improved = [*answers[:i], (key, "满意", count), *answers[i + 1 :]]
    before, after = satisfaction(FROZEN, answers), satisfaction(FROZEN, improved)
    assert before is not None and after is not None and after >= before


def test_share_counts_scale_and_choice() -> None:
    share = satisfaction(FROZEN, [("q1", "满意", 1), ("q2", "一般", 1), ("q4", "5", 2)])
    assert str(share) == "0.7500"


def test_read_form_accepts_a_good_form() -> None:
    given_, errors = read_form(
        FROZEN, {"q1": ["满意"], "q2": ["一般"], "q3": ["甲", "丙"], "q4": ["4"], "q5": [" 好 "]}
    )
    assert errors == {}
    assert [(g.question, g.option, g.scale, g.text) for g in given_] == [
        ("q1", "满意", None, ""),
        ("q2", "一般", None, ""),
        ("q3", "甲", None, ""),
        ("q3", "丙", None, ""),
        ("q4", "", 4, ""),
        ("q5", "", None, "好"),
    ]


def test_read_form_refuses_garbage_in_chinese() -> None:
    _given, errors = read_form(
        FROZEN,
        {"q1": ["非常满意"], "q2": ["满意", "一般"], "q4": ["6"], "q5": ["长" * (MAX_TEXT + 1)]},
    )
    assert errors == {
        "q1": "所选选项无效，请重新选择。",
        "q2": "所选选项无效，请重新选择。",
        "q4": "请在1到5分之间选择一个分值。",
        "q5": "意见建议不能超过1000个字。",
    }
    _given, errors = read_form(FROZEN, {})
    assert errors == {"q1": "此题为必答题。", "q2": "此题为必答题。"}
