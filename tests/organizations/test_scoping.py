"""Unit-owned data is read and changed only through a scope; outside it, 404.

Every test first creates the data that could leak (two units of one committee, each with a party
organisation tree and a roster), then proves it does not: for every URL of
``mofan.organizations`` and every persona, the status code, what the page shows, and that nothing
changed in the database. A view added to the module without a row in ``CASES`` fails the suite.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.organizations import selectors, services
from mofan.organizations.models import Member, PartyOrganization, PartyOrgKind, Unit
from tests.factories import (
    CommitteeFactory,
    MemberFactory,
    PartyOrgFactory,
    make_user,
)
from tests.world import logged_in
from tests.world import persona as make_persona

MISSING_PK = 987_654_321

# ---------------------------------------------------------------------------------------------
# The data that could leak
# ---------------------------------------------------------------------------------------------


def _build_unit(unit: Unit, prefix: str, phone_base: int) -> SimpleNamespace:
    today = timezone.localdate()
    top = PartyOrgFactory(
        unit=unit,
        kind=PartyOrgKind.ORGAN_COMMITTEE,
        name=f"{prefix}机关党委",
        elected_on=None,
        election_due_on=today - datetime.timedelta(days=10),
    )
    branch = PartyOrgFactory(
        unit=unit,
        kind=PartyOrgKind.BRANCH,
        parent=top,
        name=f"{prefix}第一党支部",
        elected_on=None,
        election_due_on=today + datetime.timedelta(days=30),
    )
    group = PartyOrgFactory(
        unit=unit, kind=PartyOrgKind.GROUP, parent=branch, name=f"{prefix}第一党小组"
    )
    secretary = MemberFactory(
        unit=unit,
        party_org=branch,
        name=f"{prefix}书记赵",
        phone=str(phone_base + 1),
        birth_date=datetime.date(1975, 3, 14),
        post=f"{prefix}办公室主任",
    )
    plain = MemberFactory(
        unit=unit,
        party_org=branch,
        name=f"{prefix}党员钱",
        phone=str(phone_base + 2),
        birth_date=datetime.date(1988, 11, 2),
        post=f"{prefix}综合科科员",
    )
    branch.secretary = secretary
    branch.save()
    branch.committee_members.set([secretary])
    # a 党员 account of the unit, not yet linked to its member
    account = make_user(Role.MEMBER, unit=unit, username=f"acct{phone_base}")
    return SimpleNamespace(
        unit=unit,
        account=account,
        top=top,
        branch=branch,
        group=group,
        secretary=secretary,
        plain=plain,
        # What anybody who may see the unit sees: names of the unit, its organisations and
        # office-holders (the file card, 建档立卡).
        public=[unit.name, unit.credit_code, top.name, branch.name, group.name, secretary.name],
        # The roster: personal data only the unit's admin and leader and the committee see.
        private=[plain.name, secretary.phone, plain.phone, secretary.post, plain.post],
    )


@pytest.fixture
def world(committee, unit_a, unit_b):
    return SimpleNamespace(
        committee=committee,
        a=_build_unit(unit_a, "甲", 13911110000),
        b=_build_unit(unit_b, "乙", 13922220000),
    )


def snapshot(*units: Unit) -> dict[int, tuple[Any, ...]]:
    """Everything the units own, in a comparable form, per unit (four queries)."""
    pks = [u.pk for u in units]
    result: dict[int, Any] = {pk: ([], [], [], []) for pk in pks}
    for row in Unit.objects.filter(pk__in=pks).values():
        result[row["id"]][0].append(row)
    for row in PartyOrganization.objects.filter(unit__in=pks).order_by("pk").values():
        result[row["unit_id"]][1].append(row)
    seats = PartyOrganization.committee_members.through.objects.filter(
        partyorganization__unit__in=pks
    ).order_by("partyorganization_id", "member_id")
    for unit_id, org_id, member_id in seats.values_list(
        "partyorganization__unit_id", "partyorganization_id", "member_id"
    ):
        result[unit_id][2].append((org_id, member_id))
    for row in Member.objects.filter(unit__in=pks).order_by("pk").values():
        result[row["unit_id"]][3].append(row)
    return result


def assert_no_cross_unit_links() -> None:
    """No organisation or member anywhere points into another unit."""
    orgs = PartyOrganization.objects.values_list(
        "pk", "unit_id", "parent__unit_id", "secretary__unit_id"
    )
    for pk, unit_id, parent_unit, secretary_unit in orgs:
        assert parent_unit in (None, unit_id), pk
        assert secretary_unit in (None, unit_id), pk
    seats = PartyOrganization.committee_members.through.objects.values_list(
        "partyorganization__unit_id", "member__unit_id"
    )
    for org_unit, member_unit in seats:
        assert org_unit == member_unit
    members = Member.objects.values_list("pk", "unit_id", "party_org__unit_id")
    for pk, unit_id, org_unit in members:
        assert org_unit in (None, unit_id), pk


# ---------------------------------------------------------------------------------------------
# Personas
# ---------------------------------------------------------------------------------------------


def _as(name: str) -> Callable[[SimpleNamespace], Any]:
    """Make the standard persona `name` (tests/world.py) in this world."""
    return lambda w: make_persona(name, committee=w.committee, unit_a=w.a.unit, unit_b=w.b.unit)


PERSONAS: dict[str, Callable[[SimpleNamespace], Any]] = {
    # owner: unit A's own admin (单位联络员)
    "owner": _as("unit_admin"),
    # colleagues: other accounts of unit A
    "leader": _as("unit_leader"),
    "member": _as("member"),
    # outsider: unit B's admin, same committee
    "outsider": _as("outsider"),
    # the committee itself
    "committee_admin": _as("committee_admin"),
    "committee_leader": _as("committee_leader"),
    # roles of the committee that see no unit data (no review assignment exists)
    "reviewer": _as("reviewer"),
    "auditor": _as("auditor"),
    # the admin of another committee
    "foreign_admin": _as("other_admin"),
    "anonymous": lambda w: None,
}

SEES_A = {"owner", "leader", "member", "committee_admin", "committee_leader"}
SEES_B = {"outsider", "committee_admin", "committee_leader"}
ROSTER_A = {"owner", "leader", "committee_admin", "committee_leader"}
ROSTER_B = {"outsider", "committee_admin", "committee_leader"}
WRITES_A = {"owner", "committee_admin"}
LINKS_A = {"owner", "leader", "committee_admin"}  # link members to their 党员 accounts
LOGGED_IN = set(PERSONAS) - {"anonymous"}
# Roles that work with organisation data at all; the others get 403 on the lists.
ORG_ROLES = SEES_A | SEES_B | {"foreign_admin"}


def scoped(allowed: set[str], ok: int) -> Callable[[str], int]:
    return lambda persona: ok if persona in allowed else 404


def everybody(ok: int) -> Callable[[str], int]:
    return lambda persona: ok


def gated(roles: set[str], ok: int, denied_in_scope: set[str] = frozenset()) -> Callable:  # type: ignore[assignment]
    """A role check first (403), then the scope (404) for `denied_in_scope`."""
    return lambda p: ok if p in roles else 404 if p in denied_in_scope else 403


# ---------------------------------------------------------------------------------------------
# One row per URL name of mofan.organizations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    get: Callable[[str], int]
    post: Callable[[str], int]
    # URL kwargs pointing at one of unit A's objects (None: the URL takes no object)
    kwargs: Callable[[SimpleNamespace], dict[str, int]] | None = None
    payload: Callable[[SimpleNamespace], dict[str, Any]] = lambda w: {}
    # True once a successful POST has had its effect: the positive control
    effect: Callable[[SimpleNamespace], bool] | None = None
    # Strings that must be on the page for a persona allowed to GET it (proves it is not empty)
    shows: Callable[[SimpleNamespace, str], list[str]] = lambda w, p: []
    # The page belongs to unit A: unit B's data never appears on it, whoever looks
    a_page: bool = False
    changes_committee: bool = False


def _org_payload(w: SimpleNamespace, name: str) -> dict[str, Any]:
    return {
        "kind": PartyOrgKind.BRANCH,
        "name": name,
        "parent": w.a.top.pk,
        "sort_order": 5,
        "secretary": w.a.secretary.pk,
        "committee_members": [w.a.secretary.pk, w.a.plain.pk],
        "elected_on": "2024-06-01",
        "term_years": 3,
        "election_due_on": "",
    }


def _member_payload(w: SimpleNamespace, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "gender": "2",
        "birth_date": "1990-01-01",
        "political_status": "01",
        "party_org": w.a.branch.pk,
        "post": "科员",
        "phone": "13700000000",
    }


def _unit_payload(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "short_name": "改",
        "credit_code": "",
        "category": "government",
        "sort_order": 9,
        "is_active": "on",
    }


CASES: dict[str, Case] = {
    "unit_list": Case(
        get=gated(ORG_ROLES, 200),
        post=gated(ORG_ROLES, 200),
        shows=lambda w, p: (
            ([w.a.unit.name] if p in SEES_A else []) + ([w.b.unit.name] if p in SEES_B else [])
        ),
    ),
    "unit_create": Case(
        get=gated({"committee_admin", "foreign_admin"}, 200),
        post=gated({"committee_admin", "foreign_admin"}, 302),
        payload=lambda w: _unit_payload("新建的丙单位"),
        changes_committee=True,
    ),
    "unit_detail": Case(
        kwargs=lambda w: {"pk": w.a.unit.pk},
        get=scoped(SEES_A, 200),
        post=scoped(SEES_A, 200),
        shows=lambda w, p: [w.a.unit.name, w.a.branch.name, w.a.secretary.name],
        a_page=True,
    ),
    "unit_edit": Case(
        kwargs=lambda w: {"pk": w.a.unit.pk},
        get=gated({"committee_admin"}, 200, {"foreign_admin"}),
        post=gated({"committee_admin"}, 302, {"foreign_admin"}),
        payload=lambda w: _unit_payload("改名后的甲单位"),
        effect=lambda w: Unit.objects.get(pk=w.a.unit.pk).name == "改名后的甲单位",
        shows=lambda w, p: [w.a.unit.name],
        a_page=True,
    ),
    "party_org_create": Case(
        kwargs=lambda w: {"unit_pk": w.a.unit.pk},
        get=scoped(WRITES_A, 200),
        post=scoped(WRITES_A, 302),
        payload=lambda w: _org_payload(w, "新建的甲第二党支部"),
        effect=lambda w: PartyOrganization.objects.filter(
            unit=w.a.unit, name="新建的甲第二党支部", parent=w.a.top
        ).exists(),
        # members are picked through the chooser (core.choosers), not listed on the page
        shows=lambda w, p: [w.a.top.name],
        a_page=True,
    ),
    "party_org_detail": Case(
        kwargs=lambda w: {"pk": w.a.branch.pk},
        get=scoped(SEES_A, 200),
        post=scoped(SEES_A, 200),
        shows=lambda w, p: [w.a.branch.name, w.a.secretary.name, w.a.group.name],
        a_page=True,
    ),
    "party_org_edit": Case(
        kwargs=lambda w: {"pk": w.a.branch.pk},
        get=scoped(WRITES_A, 200),
        post=scoped(WRITES_A, 302),
        payload=lambda w: _org_payload(w, "改名后的甲党支部"),
        effect=lambda w: PartyOrganization.objects.get(pk=w.a.branch.pk).name == "改名后的甲党支部",
        shows=lambda w, p: [w.a.branch.name],
        a_page=True,
    ),
    "party_org_delete": Case(
        kwargs=lambda w: {"pk": w.a.group.pk},
        get=everybody(405),
        post=scoped(WRITES_A, 302),
        effect=lambda w: not PartyOrganization.objects.filter(pk=w.a.group.pk).exists(),
        a_page=True,
    ),
    "member_list": Case(
        kwargs=lambda w: {"unit_pk": w.a.unit.pk},
        get=scoped(ROSTER_A, 200),
        post=scoped(ROSTER_A, 200),
        shows=lambda w, p: [w.a.plain.name, w.a.plain.phone, w.a.secretary.phone],
        a_page=True,
    ),
    "member_create": Case(
        kwargs=lambda w: {"unit_pk": w.a.unit.pk},
        get=scoped(WRITES_A, 200),
        post=scoped(WRITES_A, 302),
        payload=lambda w: _member_payload(w, "新建的甲成员孙"),
        effect=lambda w: Member.objects.filter(unit=w.a.unit, name="新建的甲成员孙").exists(),
        shows=lambda w, p: [w.a.branch.name],
        a_page=True,
    ),
    "member_detail": Case(
        kwargs=lambda w: {"pk": w.a.plain.pk},
        get=scoped(ROSTER_A, 200),
        post=scoped(ROSTER_A, 200),
        shows=lambda w, p: [w.a.plain.name, w.a.plain.phone, w.a.branch.name],
        a_page=True,
    ),
    "member_edit": Case(
        kwargs=lambda w: {"pk": w.a.plain.pk},
        get=scoped(WRITES_A, 200),
        post=scoped(WRITES_A, 302),
        payload=lambda w: _member_payload(w, "改名后的甲党员"),
        effect=lambda w: Member.objects.get(pk=w.a.plain.pk).name == "改名后的甲党员",
        shows=lambda w, p: [w.a.plain.name, w.a.plain.phone],
        a_page=True,
    ),
    "member_account": Case(
        kwargs=lambda w: {"pk": w.a.plain.pk},
        get=scoped(LINKS_A, 200),
        post=scoped(LINKS_A, 302),
        payload=lambda w: {"account": w.a.account.pk},
        effect=lambda w: User.objects.filter(pk=w.a.account.pk, member=w.a.plain).exists(),
        shows=lambda w, p: [w.a.plain.name, w.a.account.username],
        a_page=True,
    ),
    "member_delete": Case(
        kwargs=lambda w: {"pk": w.a.plain.pk},
        get=everybody(405),
        post=scoped(WRITES_A, 302),
        effect=lambda w: not Member.objects.filter(pk=w.a.plain.pk).exists(),
        a_page=True,
    ),
    "elections": Case(
        get=gated(ORG_ROLES, 200),
        post=gated(ORG_ROLES, 200),
        shows=lambda w, p: (
            ([w.a.branch.name, w.a.top.name] if p in SEES_A else [])
            + ([w.b.branch.name, w.b.top.name] if p in SEES_B else [])
        ),
    ),
}


def organization_url_patterns() -> dict[str, URLPattern]:
    """Every named URL of mofan.organizations as mounted in the project."""
    _prefix, resolver = get_resolver().namespace_dict["organizations"]
    return {p.name: p for p in resolver.url_patterns if isinstance(p, URLPattern) and p.name}


def test_every_organizations_url_has_a_scoping_case():
    assert set(CASES) == set(organization_url_patterns())


def test_every_object_url_is_tested_with_an_object_of_unit_a():
    """Each URL that takes an id gets one in `CASES`, and every other URL takes none."""
    for name, pattern in organization_url_patterns().items():
        takes_id = bool(pattern.pattern.converters)
        assert takes_id == (CASES[name].kwargs is not None), name


# ---------------------------------------------------------------------------------------------
# The matrix: every URL × every persona × GET and POST
# ---------------------------------------------------------------------------------------------


def _expected(case: Case, persona: str, method: str) -> int:
    if persona == "anonymous":
        # require_POST answers before anything else; every other view asks to log in
        return 405 if method == "get" and case.get("owner") == 405 else 302
    return (case.get if method == "get" else case.post)(persona)


def _check_content(w: SimpleNamespace, case: Case, persona: str, body: str, where: str) -> None:
    hidden: list[str] = []
    if persona not in SEES_B or case.a_page:
        hidden += w.b.public + w.b.private
    if persona not in SEES_A:
        hidden += w.a.public + w.a.private
    elif persona not in ROSTER_A:
        hidden += w.a.private
    leaked = [marker for marker in hidden if marker and marker in body]
    assert not leaked, f"{where}: {persona} sees {leaked}"


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_scope(world, persona):
    """One persona, every URL; each URL in a savepoint that is rolled back afterwards, so every
    URL meets the same data. Every failing URL is reported, not only the first."""
    user = PERSONAS[persona](world)
    client = logged_in(user)
    failures = []
    for name in CASES:
        try:
            with transaction.atomic():
                check_scope(world, name, persona, user, client)
                transaction.set_rollback(True)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert not failures, "\n".join(failures)


def check_scope(world: SimpleNamespace, name: str, persona: str, user: Any, client: Client) -> None:
    case = CASES[name]
    w = world
    kwargs = case.kwargs(w) if case.kwargs else {}
    url = reverse(f"organizations:{name}", kwargs=kwargs)
    a, b = w.a.unit.pk, w.b.unit.pk
    before = snapshot(w.a.unit, w.b.unit)
    units_before = set(Unit.objects.values_list("pk", "committee_id"))

    # GET: status, what is shown, what is not, and no side effect
    response = client.get(url)
    expected = _expected(case, persona, "get")
    assert response.status_code == expected, (url, persona, response.status_code)
    body = response.content.decode()
    _check_content(w, case, persona, body, f"GET {url}")
    if expected == 200:
        for marker in case.shows(w, persona):
            assert marker in body, (url, persona, marker)
    if persona == "anonymous" and expected == 302:
        assert response["Location"].startswith(reverse("accounts:login"))
    assert snapshot(w.a.unit, w.b.unit) == before

    # No oracle: for whoever is refused, an id of unit A answers exactly like an id that
    # does not exist.
    if case.kwargs and expected in (403, 404):
        missing = reverse(f"organizations:{name}", kwargs=dict.fromkeys(kwargs, MISSING_PK))
        assert client.get(missing).status_code == expected
        assert client.post(missing, case.payload(w)).status_code == _expected(case, persona, "post")

    # POST a payload that would change unit A's data if it were accepted
    response = client.post(url, case.payload(w))
    expected = _expected(case, persona, "post")
    assert response.status_code == expected, (url, persona, response.status_code)
    _check_content(w, case, persona, response.content.decode(), f"POST {url}")
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))
    allowed = persona != "anonymous" and expected == 302
    if case.effect is not None:
        assert case.effect(w) == allowed, (url, persona)
    after = snapshot(w.a.unit, w.b.unit)
    if not (allowed and case.effect is not None):
        assert after[a] == before[a], (url, persona)
    assert after[b] == before[b], (url, persona)
    units_after = set(Unit.objects.values_list("pk", "committee_id"))
    if case.changes_committee and allowed:
        (_new_pk, new_committee), *_ = units_after - units_before
        assert new_committee == user.committee_id  # always the actor's own committee
    else:
        assert units_after == units_before
    assert_no_cross_unit_links()


# ---------------------------------------------------------------------------------------------
# Lists, search and htmx partials
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", sorted(LOGGED_IN))
def test_unit_list_htmx_partial_holds_only_the_scope(world, persona):
    w = world
    client = logged_in(PERSONAS[persona](w))
    response = client.get(reverse("organizations:unit_list"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    if persona not in ORG_ROLES:
        assert response.status_code == 403
        assert w.a.unit.name not in body and w.b.unit.name not in body
        return
    assert response.status_code == 200
    # the partial: table rows only, no page around them
    assert "<html" not in body and "<nav" not in body and "<tr>" in body
    assert (w.a.unit.name in body) == (persona in SEES_A)
    assert (w.b.unit.name in body) == (persona in SEES_B)
    _check_content(w, CASES["unit_list"], persona, body, "htmx unit_list")


@pytest.mark.parametrize(
    "query",
    [
        lambda w: {"q": "乙"},
        lambda w: {"q": w.b.unit.name},
        lambda w: {"q": w.b.unit.credit_code},
        lambda w: {"q": "", "category": w.b.unit.category},
        lambda w: {"page": "2"},
    ],
)
def test_unit_list_search_never_reaches_another_unit(world, query):
    w = world
    client = logged_in(PERSONAS["owner"](w))
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        params = query(w)
        response = client.get(reverse("organizations:unit_list"), params, **headers)
        assert response.status_code == 200
        if not headers:
            assert [u.pk for u in response.context["page"]] in ([], [w.a.unit.pk])
        # the search box echoes the query; nothing else of unit B may appear
        body = response.content.decode()
        for echoed in params.values():
            body = body.replace(f'value="{echoed}"', "")
        assert reverse("organizations:unit_detail", args=[w.b.unit.pk]) not in body
        assert not [m for m in w.b.public + w.b.private if m in body]


def test_unit_list_for_a_unit_admin_shows_exactly_their_unit(world):
    w = world
    owner = PERSONAS["owner"](w)
    client = logged_in(owner)
    page = client.get(reverse("organizations:unit_list")).context["page"]
    assert [u.pk for u in page] == [w.a.unit.pk]


def test_member_search_stays_inside_the_unit(world):
    w = world
    client = logged_in(PERSONAS["owner"](w))
    url = reverse("organizations:member_list", kwargs={"unit_pk": w.a.unit.pk})
    for q in (w.b.plain.name, w.b.secretary.post, "乙"):
        response = client.get(url, {"q": q, "unit": w.b.unit.pk, "unit_pk": w.b.unit.pk})
        assert response.status_code == 200
        assert list(response.context["members"]) == []
        body = response.content.decode().replace(f'value="{q}"', "")
        assert not [m for m in w.b.public + w.b.private if m in body]


@pytest.mark.parametrize("persona", sorted(LOGGED_IN))
def test_home_page_shows_only_the_scope(world, persona):
    w = world
    client = logged_in(PERSONAS[persona](w))
    response = client.get(reverse("home:home"))
    assert response.status_code == 200
    _check_content(w, CASES["unit_list"], persona, response.content.decode(), "home")


def test_other_committee_admin_sees_neither_unit(world):
    w = world
    client = logged_in(PERSONAS["foreign_admin"](w))
    body = client.get(reverse("organizations:unit_list")).content.decode()
    assert w.a.unit.name not in body and w.b.unit.name not in body
    for unit in (w.a.unit, w.b.unit):
        assert client.get(reverse("organizations:unit_detail", args=[unit.pk])).status_code == 404
        assert client.get(reverse("organizations:unit_edit", args=[unit.pk])).status_code == 404
        assert client.get(reverse("organizations:member_list", args=[unit.pk])).status_code == 404


# ---------------------------------------------------------------------------------------------
# Form fields and hidden ids: unit A's admin tampers with its own forms
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def owner_client(world):
    return logged_in(PERSONAS["owner"](world))


def _assert_refused(response, field_name: str) -> None:
    assert response.status_code == 200, response.status_code
    form = response.context["form"]
    assert field_name in form.errors, form.errors
    # the error is shown next to the field, in Chinese
    message = str(form.errors[field_name][0])
    assert message in field_block(response.content.decode(), field_name)


def field_block(body: str, field_name: str) -> str:
    """The form_fields.html block (label, widget, errors) of one field."""
    blocks = [b for b in re.split(r'<div class="field[ "]', body) if f'name="{field_name}"' in b]
    assert len(blocks) == 1, field_name
    return blocks[0]


TAMPERED_ORG_FIELDS = [
    ("parent", lambda w: w.b.top.pk),
    ("parent", lambda w: w.b.branch.pk),
    ("secretary", lambda w: w.b.secretary.pk),
    ("committee_members", lambda w: [w.b.secretary.pk]),
    ("committee_members", lambda w: [w.a.secretary.pk, w.b.plain.pk]),
]


@pytest.mark.parametrize("target", ["create", "edit"])
@pytest.mark.parametrize(("field_name", "value"), TAMPERED_ORG_FIELDS)
def test_party_org_form_refuses_objects_of_another_unit(
    world, owner_client, target, field_name, value
):
    w = world
    if target == "create":
        url = reverse("organizations:party_org_create", kwargs={"unit_pk": w.a.unit.pk})
    else:
        url = reverse("organizations:party_org_edit", kwargs={"pk": w.a.branch.pk})
    before = snapshot(w.a.unit, w.b.unit)
    payload = _org_payload(w, "篡改的党支部")
    payload[field_name] = value(w)
    _assert_refused(owner_client.post(url, payload), field_name)
    assert snapshot(w.a.unit, w.b.unit) == before
    assert_no_cross_unit_links()


@pytest.mark.parametrize("target", ["create", "edit"])
@pytest.mark.parametrize("org", ["top", "branch", "group"])
def test_member_form_refuses_a_party_org_of_another_unit(world, owner_client, target, org):
    w = world
    if target == "create":
        url = reverse("organizations:member_create", kwargs={"unit_pk": w.a.unit.pk})
    else:
        url = reverse("organizations:member_edit", kwargs={"pk": w.a.plain.pk})
    before = snapshot(w.a.unit, w.b.unit)
    payload = _member_payload(w, "篡改的成员")
    payload["party_org"] = getattr(w.b, org).pk
    _assert_refused(owner_client.post(url, payload), "party_org")
    assert snapshot(w.a.unit, w.b.unit) == before
    assert_no_cross_unit_links()


def test_hidden_unit_ids_in_a_post_are_ignored(world, owner_client):
    """Extra fields naming unit B (as a tampered hidden input would) change nothing of B."""
    w = world
    before_b = snapshot(w.b.unit)
    extra = {
        "unit": w.b.unit.pk,
        "unit_id": w.b.unit.pk,
        "unit_pk": w.b.unit.pk,
        "id": w.b.branch.pk,
        "pk": w.b.branch.pk,
    }

    url = reverse("organizations:party_org_create", kwargs={"unit_pk": w.a.unit.pk})
    assert owner_client.post(url, {**_org_payload(w, "甲第三党支部"), **extra}).status_code == 302
    assert PartyOrganization.objects.get(name="甲第三党支部").unit_id == w.a.unit.pk

    url = reverse("organizations:party_org_edit", kwargs={"pk": w.a.branch.pk})
    assert owner_client.post(url, {**_org_payload(w, "甲改名党支部"), **extra}).status_code == 302
    branch = PartyOrganization.objects.get(pk=w.a.branch.pk)
    assert (branch.name, branch.unit_id) == ("甲改名党支部", w.a.unit.pk)

    url = reverse("organizations:member_create", kwargs={"unit_pk": w.a.unit.pk})
    extra_m = {**extra, "id": w.b.plain.pk, "pk": w.b.plain.pk}
    assert owner_client.post(url, {**_member_payload(w, "甲新成员"), **extra_m}).status_code == 302
    assert Member.objects.get(name="甲新成员").unit_id == w.a.unit.pk

    url = reverse("organizations:member_edit", kwargs={"pk": w.a.plain.pk})
    assert (
        owner_client.post(url, {**_member_payload(w, "甲改名成员"), **extra_m}).status_code == 302
    )
    plain = Member.objects.get(pk=w.a.plain.pk)
    assert (plain.name, plain.unit_id) == ("甲改名成员", w.a.unit.pk)

    assert snapshot(w.b.unit) == before_b
    assert_no_cross_unit_links()


def test_committee_admin_cannot_move_a_unit_to_another_committee(world):
    w = world
    other = CommitteeFactory()
    client = logged_in(PERSONAS["committee_admin"](w))
    url = reverse("organizations:unit_edit", kwargs={"pk": w.a.unit.pk})
    payload = {**_unit_payload("甲单位"), "committee": other.pk, "committee_id": other.pk}
    assert client.post(url, payload).status_code == 302
    assert Unit.objects.get(pk=w.a.unit.pk).committee_id == w.committee.pk
    url = reverse("organizations:unit_create")
    assert client.post(url, {**_unit_payload("丁单位"), "committee": other.pk}).status_code == 302
    assert Unit.objects.get(name="丁单位").committee_id == w.committee.pk


def test_committee_admin_forms_offer_only_the_units_own_objects(world):
    """Even an actor who may see both units is offered only unit A's objects on A's forms."""
    w = world
    client = logged_in(PERSONAS["committee_admin"](w))
    for url in (
        reverse("organizations:party_org_create", kwargs={"unit_pk": w.a.unit.pk}),
        reverse("organizations:party_org_edit", kwargs={"pk": w.a.branch.pk}),
        reverse("organizations:member_create", kwargs={"unit_pk": w.a.unit.pk}),
        reverse("organizations:member_edit", kwargs={"pk": w.a.plain.pk}),
    ):
        response = client.get(url)
        form = response.context["form"]
        for field_name in ("parent", "secretary", "committee_members", "party_org"):
            if field_name in form.fields:
                units = {obj.unit_id for obj in form.fields[field_name].queryset}
                assert units == {w.a.unit.pk}, (url, field_name, units)
        body = response.content.decode()
        assert not [m for m in w.b.public + w.b.private if m in body], url


# ---------------------------------------------------------------------------------------------
# The services refuse cross-unit links even when called without a form
# ---------------------------------------------------------------------------------------------


def test_services_refuse_cross_unit_links(world):
    from django.core.exceptions import ValidationError

    from mofan.accounts.access import actor_for

    w = world
    actor = actor_for(PERSONAS["owner"](w))
    before = snapshot(w.a.unit, w.b.unit)

    org = PartyOrganization(unit=w.a.unit, kind=PartyOrgKind.BRANCH, name="x", parent=w.b.top)
    with pytest.raises(ValidationError) as exc:
        services.party_org_save(org=org, committee_members=None, actor=actor)
    assert "parent" in exc.value.error_dict

    org = PartyOrganization(unit=w.a.unit, kind=PartyOrgKind.BRANCH, name="x", secretary=w.b.plain)
    with pytest.raises(ValidationError) as exc:
        services.party_org_save(org=org, committee_members=None, actor=actor)
    assert "secretary" in exc.value.error_dict

    org = PartyOrganization.objects.get(pk=w.a.branch.pk)
    with pytest.raises(ValidationError) as exc:
        services.party_org_save(org=org, committee_members=[w.b.secretary], actor=actor)
    assert "committee_members" in exc.value.error_dict

    member = Member.objects.get(pk=w.a.plain.pk)
    member.party_org = w.b.branch
    with pytest.raises(ValidationError) as exc:
        services.member_save(member=member, actor=actor)
    assert "party_org" in exc.value.error_dict

    assert snapshot(w.a.unit, w.b.unit) == before


def _when(condition: bool, ids: set[int]) -> set[int]:
    return set(ids) if condition else set()


def test_selectors_scope_every_query(world):
    """The selectors themselves, persona by persona (views rely on nothing else)."""
    from mofan.accounts.access import actor_for

    w = world
    a_orgs = {w.a.top.pk, w.a.branch.pk, w.a.group.pk}
    a_members = {w.a.secretary.pk, w.a.plain.pk}
    b_orgs = {w.b.top.pk, w.b.branch.pk, w.b.group.pk}
    b_members = {w.b.secretary.pk, w.b.plain.pk}
    writes_b = {"outsider", "committee_admin"}
    for persona, make in PERSONAS.items():
        if persona == "anonymous":
            continue
        actor = actor_for(make(w))
        units = set(selectors.units_for(actor).values_list("pk", flat=True))
        assert units == _when(persona in SEES_A, {w.a.unit.pk}) | _when(
            persona in SEES_B, {w.b.unit.pk}
        ), persona
        orgs = set(selectors.party_orgs_for(actor).values_list("pk", flat=True))
        assert orgs == _when(persona in SEES_A, a_orgs) | _when(persona in SEES_B, b_orgs), persona
        members = set(selectors.members_for(actor).values_list("pk", flat=True))
        assert members == _when(persona in ROSTER_A, a_members) | _when(
            persona in ROSTER_B, b_members
        ), persona
        editable = set(selectors.members_editable_by(actor).values_list("pk", flat=True))
        assert editable == _when(persona in WRITES_A, a_members) | _when(
            persona in writes_b, b_members
        ), persona
        editable = set(selectors.party_orgs_editable_by(actor).values_list("pk", flat=True))
        assert editable == _when(persona in WRITES_A, a_orgs) | _when(
            persona in writes_b, b_orgs
        ), persona
