"""Account administration is scoped: a committee admin manages only its own committee's ordinary
accounts, the security admin only its own committee's, nobody its own; unit roles get 403.

三权分立: the committee admin (系统管理员) never grants the separated-duty roles, no account holds
two of committee_admin / security_admin / auditor, and nobody grants or revokes its own roles.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import URLPattern, get_resolver, reverse

from mofan.accounts import services
from mofan.accounts.access import actor_for
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import GRANTABLE_BY_COMMITTEE_ADMIN, SEPARATED_DUTIES, Role
from mofan.audit.models import AuditEntry
from tests.factories import make_user
from tests.task_worker import run_queued_tasks
from tests.world import committee_with_units, logged_in, persona


@pytest.fixture
def people(committee, unit_a, unit_b):
    """Every account that could leak, in two committees."""
    other, (unit_y,) = committee_with_units(name="另一市直机关工委", code="other", units=("丙",))
    p = SimpleNamespace(committee=committee, other=other, unit_a=unit_a, unit_b=unit_b)
    p.unit_y = unit_y
    where = {"committee": committee, "unit_a": unit_a, "unit_b": unit_b, "other": other}
    # attribute (and username): the standard persona (tests/world.py) it is
    for name, standard in (
        ("admin_x", "committee_admin"),
        ("admin_x2", "committee_admin"),
        ("sec_x", "security_admin"),
        ("aud_x", "auditor"),
        ("leader_x", "committee_leader"),
        ("reviewer_x", "reviewer"),
        ("ua_a", "unit_admin"),
        ("ul_a", "unit_leader"),
        ("um_a", "member"),
        ("ua_b", "outsider"),
        ("admin_y", "other_admin"),
    ):
        setattr(p, name, persona(standard, **where, username=name))
    # the other committee's security admin, auditor and unit admin
    p.sec_y = persona("security_admin", committee=other, username="sec_y")
    p.aud_y = persona("auditor", committee=other, username="aud_y")
    p.ua_y = persona("unit_admin", unit_a=unit_y, username="ua_y")
    return p


ACCOUNTS = [
    "admin_x",
    "admin_x2",
    "sec_x",
    "aud_x",
    "leader_x",
    "reviewer_x",
    "ua_a",
    "ul_a",
    "um_a",
    "ua_b",
    "admin_y",
    "sec_y",
    "aud_y",
    "ua_y",
]
UNIT_ACCOUNTS_X = {"ua_a", "ul_a", "um_a", "ua_b"}
# Who each manager may see and manage (never itself, never another committee); the committee
# admin only unit accounts (docs/security.md, "Who grants which role")
MANAGES = {
    "admin_x": UNIT_ACCOUNTS_X,
    "sec_x": UNIT_ACCOUNTS_X | {"leader_x", "reviewer_x", "admin_x", "admin_x2", "aud_x"},
}


def state() -> dict[str, Any]:
    """What account administration can change, for every account."""
    roles: dict[int, list[Any]] = {}
    for row in RoleAssignment.objects.order_by("pk").values_list(
        "user_id", "pk", "role", "unit_id"
    ):
        roles.setdefault(row[0], []).append(row[1:])
    return {
        u["username"]: (u, roles.get(u["id"], []))
        for u in User.objects.values(
            "id",
            "username",
            "full_name",
            "password",
            "is_active",
            "session_epoch",
            "must_change_password",
            "committee_id",
        )
    }


def manage_url_patterns() -> dict[str, URLPattern]:
    _prefix, resolver = get_resolver().namespace_dict["accounts_manage"]
    return {p.name: p for p in resolver.url_patterns if isinstance(p, URLPattern) and p.name}


# URL name -> (object URL?, POST-only?)
MANAGE_URLS = {
    "list": (False, False),
    "detail": (True, False),
    "role_grant": (True, True),
    "role_revoke": (True, True),
    "profile": (True, True),
    "active": (True, True),
    "password_reset": (True, True),
    "unlock": (True, True),
    "bulk_units": (False, False),
    "bulk_import": (False, False),
    "batch": (True, False),
    "batch_collect": (True, True),
    "batch_retry": (True, True),
    "import_template": (False, False),
    "credentials": (False, False),
    "credentials_download": (False, True),
}


def test_every_manage_url_is_covered():
    patterns = manage_url_patterns()
    assert set(MANAGE_URLS) == set(patterns)
    for name, (takes_object, _post_only) in MANAGE_URLS.items():
        assert bool(patterns[name].pattern.converters) == takes_object, name


def object_url(name: str, target: User) -> str:
    if name == "role_revoke":
        assignment = RoleAssignment.objects.filter(user=target).order_by("pk").first()
        return reverse(f"accounts_manage:{name}", args=[target.pk, assignment.pk])
    return reverse(f"accounts_manage:{name}", args=[target.pk])


OBJECT_POSTS = {
    "role_grant": lambda p: {"role": Role.MEMBER, "unit": p.unit_a.pk},
    "role_revoke": lambda p: {},
    "profile": lambda p: {"full_name": "王建国", "phone": "13900000000"},
    "active": lambda p: {"active": "0", "reason": "离职"},
    "password_reset": lambda p: {},
    "unlock": lambda p: {},
}


def took_effect(name: str, target: User, before: dict, after: dict) -> bool:
    """The positive control: an allowed action did what it says."""
    mine_before, mine_after = before[target.username], after[target.username]
    if name == "role_revoke":
        revoked = mine_before[1][0][0]
        return not RoleAssignment.objects.filter(pk=revoked).exists()
    if name == "active":
        return not mine_after[0]["is_active"]
    if name == "profile":
        return mine_after[0]["full_name"] == "王建国"
    if name == "password_reset":
        return mine_after[0]["password"] != mine_before[0]["password"]
    if name == "unlock":
        return AuditEntry.objects.filter(action="account.unlock", object_id=str(target.pk)).exists()
    return True  # role_grant: its outcomes are tested one by one below


@pytest.mark.parametrize("manager", sorted(MANAGES))
def test_managers_reach_exactly_their_accounts(people, manager):
    """For every account in both committees and every per-account URL: 404 outside the scope
    (exactly as for an id that does not exist) and nothing changes; inside it the action works."""
    p = people
    client = logged_in(getattr(p, manager))
    failures = []
    before = state()  # every action below is rolled back: each one starts from this state
    for target_name, (name, make_payload) in itertools.product(ACCOUNTS, OBJECT_POSTS.items()):
        target = getattr(p, target_name)
        allowed = target_name in MANAGES[manager]
        try:
            with transaction.atomic():
                url = object_url(name, target)
                response = client.post(url, make_payload(p))
                after = state()
                if name == "unlock" and manager != "sec_x":
                    assert response.status_code == 403, response.status_code
                    assert after == before
                elif not allowed:
                    assert response.status_code == 404, response.status_code
                    assert after == before
                else:
                    assert response.status_code == 302, response.status_code
                    assert response["Location"] in (
                        reverse("accounts_manage:detail", args=[target.pk]),
                        reverse("accounts_manage:credentials"),
                    )
                    # only the target may have changed
                    changed = {k for k in after if after[k] != before.get(k)}
                    assert changed <= {target.username}, changed
                    assert took_effect(name, target, before, after), "no effect"
                transaction.set_rollback(True)
        except AssertionError as exc:
            failures.append(f"{name} → {target_name}: {exc}")
        # GET of the detail page: shows the account or answers 404
        response = client.get(reverse("accounts_manage:detail", args=[target.pk]))
        if allowed:
            if response.status_code != 200 or target.username not in response.content.decode():
                failures.append(f"detail → {target_name}: {response.status_code}")
        elif response.status_code != 404:
            failures.append(f"detail → {target_name}: {response.status_code}")
    assert state() == before
    # an id that does not exist answers like an account outside the scope
    assert client.get(reverse("accounts_manage:detail", args=[987654])).status_code == 404
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("manager", sorted(MANAGES))
def test_account_list_holds_only_the_scope(people, manager):
    p = people
    client = logged_in(getattr(p, manager))
    url = reverse("accounts_manage:list")
    queries = [{}, {"q": "_y"}, {"q": "admin"}, {"q": "丙单位"}, {"q": "sec"}, {"q": "aud"}]
    queries += [{"role": role} for role in Role.values]
    for query in queries:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(url, query, **headers)
            assert response.status_code == 200
            body = response.content.decode()
            for value in query.values():
                body = body.replace(f'value="{value}"', "")
            shown = {
                name
                for name in ACCOUNTS
                if reverse("accounts_manage:detail", args=[getattr(p, name).pk]) in body
            }
            assert shown <= MANAGES[manager], (query, headers, shown - MANAGES[manager])
            if not query:
                assert shown == MANAGES[manager]
            if headers:
                assert "<html" not in body


NON_MANAGERS = ["ua_a", "ul_a", "um_a", "leader_x", "reviewer_x", "aud_x"]


@pytest.mark.parametrize("persona", NON_MANAGERS)
def test_other_roles_get_403_on_every_manage_url(people, persona):
    p = people
    client = logged_in(getattr(p, persona))
    before = state()
    target = p.ua_b
    for name, (takes_object, post_only) in MANAGE_URLS.items():
        url = object_url(name, target) if takes_object else reverse(f"accounts_manage:{name}")
        expected_get = 405 if post_only else 403
        assert client.get(url).status_code == expected_get, (name, "GET")
        assert client.post(url, OBJECT_POSTS.get(name, lambda p: {})(p)).status_code == 403, (
            name,
            "POST",
        )
        htmx = client.get(url, HTTP_HX_REQUEST="true")
        assert htmx.status_code == expected_get, (name, "htmx")
    assert state() == before
    nav = client.get(reverse("home:home")).content.decode()
    assert reverse("accounts_manage:list") not in nav


# ---------------------------------------------------------------------------------------------
# Granting roles
# ---------------------------------------------------------------------------------------------

SEPARATED = sorted(SEPARATED_DUTIES)


@pytest.mark.parametrize("role", [*SEPARATED, Role.SECURITY_ADMIN])
def test_committee_admin_cannot_grant_separated_duty_roles(people, role):
    p = people
    client = logged_in(p.admin_x)
    detail = client.get(reverse("accounts_manage:detail", args=[p.um_a.pk]))
    offered = dict(detail.context["grant_form"].fields["role"].choices)
    assert set(offered) == set(GRANTABLE_BY_COMMITTEE_ADMIN)
    before = state()
    for target in (p.um_a, p.ua_a, p.ul_a):
        url = reverse("accounts_manage:role_grant", args=[target.pk])
        response = client.post(url, {"role": role, "unit": ""}, follow=True)
        assert response.status_code == 200
        assert state() == before
        with pytest.raises(PermissionDenied):
            services.role_grant(user=target, role=role, actor=actor_for(p.admin_x))
    assert state() == before


def test_committee_admin_grants_ordinary_roles_only_with_units_of_its_committee(people):
    p = people
    client = logged_in(p.admin_x)
    url = reverse("accounts_manage:role_grant", args=[p.um_a.pk])
    before = state()
    client.post(url, {"role": Role.UNIT_LEADER, "unit": p.unit_y.pk})
    assert state() == before
    with pytest.raises(ValidationError) as exc:
        services.role_grant(
            user=p.um_a, role=Role.UNIT_LEADER, unit=p.unit_y, actor=actor_for(p.admin_x)
        )
    assert exc.value.messages == ["单位不属于本工委。"]
    # the positive control: a unit of its own committee works
    response = client.post(url, {"role": Role.UNIT_LEADER, "unit": p.unit_b.pk})
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=p.um_a, role=Role.UNIT_LEADER, unit=p.unit_b).exists()


def test_revoking_through_another_accounts_url_is_404(people):
    """The assignment id in the URL must belong to the account in the URL."""
    p = people
    client = logged_in(p.admin_x)
    before = state()
    for victim in (p.sec_x, p.aud_x, p.admin_x2, p.ua_y, p.ua_b):
        assignment = RoleAssignment.objects.get(user=victim)
        url = reverse("accounts_manage:role_revoke", args=[p.ua_a.pk, assignment.pk])
        assert client.post(url).status_code == 404
    assert state() == before


@pytest.mark.parametrize(("held", "new"), list(itertools.permutations(SEPARATED, 2)))
def test_no_account_holds_two_separated_duties(people, held, new):
    p = people
    target = make_user(held, committee=p.committee)
    actor = actor_for(p.sec_x)
    with pytest.raises(ValidationError) as exc:
        services.role_grant(user=target, role=new, actor=actor)
    assert "三权分立" in exc.value.messages[0]
    assert list(target.role_assignments.values_list("role", flat=True)) == [held]
    # and through the page
    client = logged_in(p.sec_x)
    response = client.post(
        reverse("accounts_manage:role_grant", args=[target.pk]), {"role": new}, follow=True
    )
    assert "三权分立" in response.content.decode()
    assert list(target.role_assignments.values_list("role", flat=True)) == [held]


@pytest.mark.parametrize("other", [Role.MEMBER, Role.REVIEWER, Role.COMMITTEE_LEADER])
def test_the_auditor_holds_no_other_role(people, other):
    p = people
    actor = actor_for(p.sec_x)
    with pytest.raises(ValidationError):
        services.role_grant(
            user=p.aud_x, role=other, unit=p.unit_a if other == Role.MEMBER else None, actor=actor
        )
    with pytest.raises(ValidationError):
        services.role_grant(
            user=p.um_a if other == Role.MEMBER else p.leader_x, role=Role.AUDITOR, actor=actor
        )
    assert list(p.aud_x.role_assignments.values_list("role", flat=True)) == [Role.AUDITOR]


@pytest.mark.parametrize("manager", sorted(MANAGES))
def test_nobody_manages_its_own_account(people, manager):
    p = people
    me = getattr(p, manager)
    actor = actor_for(me)
    before = state()
    for role in Role.values:
        with pytest.raises(PermissionDenied):
            services.role_grant(user=me, role=role, actor=actor)
    with pytest.raises(PermissionDenied):
        services.role_revoke(assignment=me.role_assignments.get(), actor=actor)
    with pytest.raises(PermissionDenied):
        services.account_set_active(user=me, active=False, actor=actor)
    with pytest.raises(PermissionDenied):
        services.password_reset(user=me, actor=actor)
    with pytest.raises(PermissionDenied):
        services.account_profile_update(user=me, full_name="我", phone="", actor=actor)
    client = logged_in(me)
    for name in ("detail", *OBJECT_POSTS):
        url = object_url(name, me)
        response = client.post(url, OBJECT_POSTS.get(name, lambda p: {})(p))
        assert response.status_code in (403, 404), name
    assert state() == before


def test_bulk_creation_only_for_units_of_the_committee(people, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    p = people
    client = logged_in(p.admin_x)
    url = reverse("accounts_manage:bulk_units")
    page = client.get(url).content.decode()
    assert "丙单位" not in page and "甲单位" not in page  # the units are searched, not listed
    search = reverse("choosers:choose", args=["unit"])
    listed = client.get(search, {"scope": "administered", "q": "单位"}).content.decode()
    assert "丙单位" not in listed and "甲单位" in listed
    count = User.objects.count()
    response = client.post(url, {"units": [p.unit_y.pk], "roles": [Role.UNIT_ADMIN]})
    assert response.status_code == 200
    assert User.objects.count() == count
    response = client.post(url, {"units": [p.unit_a.pk, p.unit_y.pk], "roles": [Role.UNIT_ADMIN]})
    assert User.objects.count() == count
    # a committee admin may not create a security admin through the unit form either
    response = client.post(url, {"units": [p.unit_a.pk], "roles": [Role.SECURITY_ADMIN]})
    assert User.objects.count() == count
    # the positive control
    with capture(execute=True):
        response = client.post(url, {"units": [p.unit_a.pk], "roles": [Role.UNIT_LEADER]})
    assert response.status_code == 302
    assert User.objects.count() == count  # created by the worker, not the request
    assert run_queued_tasks() == 1
    created = User.objects.exclude(pk__in=[getattr(p, n).pk for n in ACCOUNTS]).get()
    assert created.committee_id == p.committee.pk
    assert created.role_assignments.get().unit_id == p.unit_a.pk


def test_initial_passwords_stay_in_the_creators_session(people):
    p = people
    creator = logged_in(p.admin_x)
    other = logged_in(p.admin_x2)
    response = creator.post(reverse("accounts_manage:password_reset", args=[p.ua_a.pk]))
    assert response["Location"] == reverse("accounts_manage:credentials")
    for client in (other, logged_in(p.sec_x)):
        body = client.get(reverse("accounts_manage:credentials")).content.decode()
        assert p.ua_a.username not in body
        download = client.post(reverse("accounts_manage:credentials_download"))
        assert download.status_code == 302
    body = creator.get(reverse("accounts_manage:credentials")).content.decode()
    assert p.ua_a.username in body


def test_security_admin_grants_unit_roles_only_with_units_of_its_committee(people):
    p = people
    client = logged_in(p.sec_x)
    target = make_user(Role.REVIEWER, committee=p.committee, username="reviewer_new")
    detail = client.get(reverse("accounts_manage:detail", args=[target.pk]))
    offered = set(detail.context["grant_form"].fields["unit"].queryset)
    assert offered == {p.unit_a, p.unit_b}
    url = reverse("accounts_manage:role_grant", args=[target.pk])
    client.post(url, {"role": Role.UNIT_LEADER, "unit": p.unit_y.pk})
    assert not target.role_assignments.filter(role=Role.UNIT_LEADER).exists()
    response = client.post(url, {"role": Role.UNIT_LEADER, "unit": p.unit_a.pk})
    assert response.status_code == 302
    assert target.role_assignments.filter(role=Role.UNIT_LEADER, unit=p.unit_a).exists()


def test_import_cannot_reach_units_of_another_committee(people):
    """The import sheet is a form field too: unit names resolve inside the committee only."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    from mofan.accounts.imports import COLUMNS

    p = people
    p.unit_y.short_name = "丙"
    p.unit_y.save()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    sheet.append(["丙单位", "王一", "单位联络员", "", ""])
    sheet.append(["丙", "李二", "单位领导", "", ""])
    sheet.append(["甲单位", "赵三", "安全管理员", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile(
        "accounts.xlsx",
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    before = state()
    response = logged_in(p.admin_x).post(reverse("accounts_manage:bulk_import"), {"file": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert "单位“丙单位”不在本工委的单位名单中" in body
    assert "单位“丙”不在本工委的单位名单中" in body
    assert "角色“安全管理员”无效" in body
    assert state() == before
