"""The column-sort helper (`mofan.core.sorting`) and its header links: a whitelist of keys, `-key`
reversed, anything else the default; `pk` always last; filters kept and the page dropped."""

from __future__ import annotations

import pytest
from django.db.models import F
from django.template import Context, Template
from django.test import RequestFactory

from mofan.core.sorting import Sorting, column_sort, ordering, rank, reverse_term
from mofan.organizations.models import Unit
from tests.factories import UnitFactory

SORTS = {
    "created": ("created_at",),
    "unit": ("unit__sort_order", "unit_id", "-created_at"),
    "deadline": (F("deadline").asc(nulls_last=True), "-created_at"),
    "own": ("name", "-pk"),
}


def sorting(query: str = "", default: str = "-created", **kw) -> Sorting:
    return column_sort(RequestFactory().get(f"/list/?{query}"), SORTS, default=default, **kw)


# --- ordering ----------------------------------------------------------------------------------


def test_a_key_orders_by_its_terms_and_ends_with_pk():
    assert ordering(SORTS, "created") == ("created_at", "pk")
    assert ordering(SORTS, "unit") == ("unit__sort_order", "unit_id", "-created_at", "pk")


def test_minus_key_reverses_every_term_tiebreaker_included():
    assert ordering(SORTS, "-created") == ("-created_at", "-pk")
    assert ordering(SORTS, "-unit") == ("-unit__sort_order", "-unit_id", "created_at", "-pk")


def test_a_tiebreaker_already_there_is_not_doubled():
    assert ordering(SORTS, "own") == ("name", "-pk")
    assert ordering(SORTS, "-own") == ("-name", "pk")


def test_unknown_and_malformed_keys_have_no_ordering():
    for key in ("", "-", "--created", "bogus", "-bogus", "created_at", "Created", "created "):
        assert ordering(SORTS, key) is None, key


def test_reversing_an_expression_keeps_where_nulls_go():
    term = F("deadline").asc(nulls_last=True)
    reversed_term = reverse_term(term)
    assert reversed_term.descending is True and reversed_term.nulls_last is True
    assert term.descending is False, "the whitelist's own term is not changed"
    assert reverse_term(reversed_term).descending is False
    assert reverse_term("-x") == "x" and reverse_term("x") == "-x"


# --- column_sort --------------------------------------------------------------------------------


def test_no_sort_gives_the_default():
    s = sorting("state=open")
    assert s.key == "-created" and s.order_by == ("-created_at", "-pk")
    assert not s.requested
    assert s.query == "state=open"


@pytest.mark.parametrize("raw", ["bogus", "-bogus", "--unit", "unit;drop", "", "pk", "-pk"])
def test_an_unknown_sort_gives_the_default_and_is_not_carried_on(raw):
    s = sorting(f"sort={raw}&state=open&page=3")
    assert s.key == "-created" and s.order_by == ("-created_at", "-pk")
    assert not s.requested
    assert s.query == "state=open", "the bad key is dropped from the pager's links"


def test_a_known_sort_is_used_and_carried_with_the_filters_without_the_page():
    s = sorting("page=2&state=open&sort=-unit&q=%E7%94%B2")
    assert s.key == "-unit" and s.requested
    assert s.column == "unit" and s.descending
    assert s.order_by == ("-unit__sort_order", "-unit_id", "created_at", "-pk")
    assert s.query == "state=open&q=%E7%94%B2&sort=-unit"
    assert "page" not in s.others and "sort" not in s.others


def test_repeated_filters_are_kept():
    s = sorting("unit=1&unit=2&sort=created")
    assert s.query == "unit=1&unit=2&sort=created"


def test_other_paging_parameters_can_be_dropped_too():
    s = sorting("fpage=4&page=2&sort=created&x=1", drop=("page", "fpage"))
    assert s.query == "x=1&sort=created"


def test_a_default_outside_the_whitelist_is_a_programming_error():
    with pytest.raises(ValueError):
        sorting(default="bogus")


def test_header_links_sort_ascending_first_then_toggle():
    s = sorting("state=open&sort=unit&page=5")
    unit, created = s.link("unit"), s.link("created")
    assert unit.active and not unit.descending and unit.aria_sort == "ascending"
    assert unit.href == "?state=open&sort=-unit"
    assert not created.active and created.aria_sort == ""
    assert created.href == "?state=open&sort=created"
    down = sorting("sort=-unit").link("unit")
    assert down.active and down.descending and down.aria_sort == "descending"
    assert down.href == "?sort=unit"


def test_the_default_column_shows_as_sorted():
    link = sorting().link("created")
    assert link.active and link.descending and link.href == "?sort=created"


# --- the template tags -------------------------------------------------------------------------


def render(template: str, s: Sorting) -> str:
    return Template("{% load sort_links %}" + template).render(Context({"sorting": s}))


def test_sort_th_renders_the_link_with_aria_sort_and_escaped_query():
    s = sorting("q=%3Cb%3E&sort=-unit")
    html = render('{% sort_th sorting "unit" _("单位") %}{% sort_th sorting "created" "时间" %}', s)
    assert '<th aria-sort="descending"><a href="?q=%3Cb%3E&amp;sort=unit"' in html
    assert '单位<span aria-hidden="true"> ↓</span></a></th>' in html
    assert '<th><a href="?q=%3Cb%3E&amp;sort=created" class="sort-link" title=' in html
    assert "<b>" not in html


def test_sort_link_renders_outside_a_table():
    html = render('{% sort_link sorting "created" "抽取时间" %}', sorting("sort=created"))
    assert html.startswith('<a href="?sort=-created"') and "<th" not in html
    assert 'aria-current="true"' in html and "↑" in html


# --- rank ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rank_orders_by_the_listed_values_and_puts_others_last(committee):
    for name in ("乙", "丁", "甲", "丙"):
        UnitFactory(committee=committee, name=name)
    names = list(
        Unit.objects.filter(committee=committee)
        .order_by(rank("name", ["甲", "乙", "丙"]).asc(), "pk")
        .values_list("name", flat=True)
    )
    assert names == ["甲", "乙", "丙", "丁"]
