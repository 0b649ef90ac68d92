"""The grant matrix: every granting role x every role, against the one written policy in
docs/security.md ("Who grants which role"), through the service and through the page.

The table is read from the document, so the code and the document cannot drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from mofan.accounts import services
from mofan.accounts.access import actor_for
from mofan.accounts.models import RoleAssignment
from mofan.accounts.roles import UNIT_ROLES, Role
from tests.factories import UserFactory, make_user
from tests.world import logged_in

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
LABELS = {str(label): value for value, label in Role.choices}


def written_policy() -> dict[str, set[str]]:
    """granting role -> roles it may grant, from the table under "Who grants which role"."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Who grants which role", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    granted_roles = [LABELS[label] for label in header[1:]]
    policy: dict[str, set[str]] = {}
    for line in rows[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        granter = LABELS[re.sub(r"（.*?）", "", cells[0])]
        policy[granter] = {
            role for role, mark in zip(granted_roles, cells[1:], strict=True) if mark == "✓"
        }
    return policy


def test_the_written_policy_names_every_role_both_ways():
    policy = written_policy()
    assert set(policy) == set(Role.values)
    assert policy[Role.SECURITY_ADMIN] == set(Role.values)
    assert policy[Role.COMMITTEE_ADMIN] == set(UNIT_ROLES)
    assert all(
        not roles
        for granter, roles in policy.items()
        if granter not in (Role.SECURITY_ADMIN, Role.COMMITTEE_ADMIN)
    )


@pytest.mark.parametrize("granter", Role.values)
def test_every_granting_role_grants_exactly_what_the_policy_says(committee, unit_a, granter):
    allowed = written_policy()[granter]
    actor = actor_for(make_user(granter, committee=committee, unit=unit_a))
    outcome = {}
    for role in Role.values:
        target = UserFactory(committee=committee)  # a fresh account: no role, no conflict
        unit = unit_a if role in UNIT_ROLES else None
        try:
            services.role_grant(user=target, role=role, unit=unit, actor=actor)
        except PermissionDenied:
            outcome[role] = False
        else:
            outcome[role] = True
        held = set(RoleAssignment.objects.filter(user=target).values_list("role", flat=True))
        assert held == ({role} if outcome[role] else set())
    assert {role for role, ok in outcome.items() if ok} == allowed


@pytest.mark.parametrize("role", [Role.COMMITTEE_LEADER, Role.REVIEWER])
def test_the_committee_admin_cannot_grant_committee_roles_through_the_page(
    client, committee_admin, member, role
):
    logged_in(committee_admin, client)
    response = client.post(
        reverse("accounts_manage:role_grant", args=[member.pk]), {"role": role}, follow=True
    )
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(user=member, role=role).exists()
    # The form does not even offer it.
    detail = client.get(reverse("accounts_manage:detail", args=[member.pk]))
    assert role not in dict(detail.context["grant_form"].fields["role"].choices)


@pytest.mark.parametrize("role", [Role.COMMITTEE_LEADER, Role.REVIEWER])
def test_the_committee_admin_cannot_reset_or_disable_committee_accounts(
    client, committee, role, committee_admin
):
    target = make_user(role, committee=committee)
    password = target.password
    logged_in(committee_admin, client)
    for name in ("password_reset", "active", "detail"):
        url = reverse(f"accounts_manage:{name}", args=[target.pk])
        assert client.post(url, {"active": "0"}).status_code == 404, name
    with pytest.raises(PermissionDenied):
        services.password_reset(user=target, actor=actor_for(committee_admin))
    target.refresh_from_db()
    assert target.password == password and target.is_active
