"""Account services: separation of duties (三权分立), all-or-nothing bulk creation, revocation
ending sessions, and the audit entries they write. (View-level scoping is tested elsewhere.)"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.accounts import services
from mofan.accounts.access import actor_for
from mofan.accounts.models import LoginThrottle, RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.accounts.services import AccountSpec
from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_verify
from tests.factories import PASSWORD, make_user
from tests.world import logged_in

pytestmark = pytest.mark.django_db

SEPARATED = [Role.COMMITTEE_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR]


@pytest.fixture
def security(security_admin):
    return actor_for(security_admin)


@pytest.fixture
def admin(committee_admin):
    return actor_for(committee_admin)


def _roles(user: User) -> set[str]:
    return set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))


# --- 三权分立 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("held", "new"), [(a, b) for a in SEPARATED for b in SEPARATED if a != b])
def test_role_grant_refuses_a_second_separated_duty_role(committee, security, held, new):
    user = make_user(held, committee=committee)
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as info:
        services.role_grant(user=user, role=new, actor=security)
    assert "三权分立" in " ".join(info.value.messages)
    assert _roles(user) == {held}
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("new", [Role.REVIEWER, Role.COMMITTEE_LEADER])
def test_auditor_holds_no_other_role(committee, security, new, auditor):
    with pytest.raises(ValidationError):
        services.role_grant(user=auditor, role=new, actor=security)
    assert _roles(auditor) == {Role.AUDITOR}


def test_no_role_can_be_added_to_make_an_auditor(committee, security, unit_a, unit_leader):
    with pytest.raises(ValidationError):
        services.role_grant(user=unit_leader, role=Role.AUDITOR, actor=security)
    assert _roles(unit_leader) == {Role.UNIT_LEADER}


def test_a_compatible_role_is_granted_and_audited(committee, security, committee_admin):
    services.role_grant(user=committee_admin, role=Role.COMMITTEE_LEADER, actor=security)
    assert _roles(committee_admin) == {Role.COMMITTEE_ADMIN, Role.COMMITTEE_LEADER}
    entry = AuditEntry.objects.get(action="account.role.grant")
    assert entry.actor_id == security.user.pk
    assert entry.object_id == str(committee_admin.pk)
    assert entry.data["after"] == {"role": Role.COMMITTEE_LEADER, "unit_id": None}


def test_duplicate_role_is_refused(committee, security, unit_a, unit_admin):
    with pytest.raises(ValidationError):
        services.role_grant(user=unit_admin, role=Role.UNIT_ADMIN, unit=unit_a, actor=security)


def test_committee_admin_cannot_grant_separated_duty_roles(committee, admin, unit_a, unit_leader):
    for role in (Role.SECURITY_ADMIN, Role.AUDITOR, Role.COMMITTEE_ADMIN):
        with pytest.raises(PermissionDenied):
            services.role_grant(user=unit_leader, role=role, actor=admin)
    services.role_grant(user=unit_leader, role=Role.MEMBER, unit=unit_a, actor=admin)
    assert _roles(unit_leader) == {Role.UNIT_LEADER, Role.MEMBER}


def test_nobody_grants_themselves_a_role(committee, security):
    with pytest.raises(PermissionDenied):
        services.role_grant(user=security.user, role=Role.COMMITTEE_LEADER, actor=security)


def test_unit_role_needs_a_unit_of_the_same_committee(committee, admin, unit_a, unit_leader):
    from tests.factories import UnitFactory

    foreign = UnitFactory()
    with pytest.raises(ValidationError):
        services.role_grant(user=unit_leader, role=Role.MEMBER, actor=admin)
    with pytest.raises(ValidationError):
        services.role_grant(user=unit_leader, role=Role.MEMBER, unit=foreign, actor=admin)
    assert _roles(unit_leader) == {Role.UNIT_LEADER}


# --- accounts_bulk_create --------------------------------------------------------------------


def test_bulk_create_makes_every_account_with_a_random_initial_password(committee, admin, unit_a):
    specs = [
        AccountSpec(username="a-admin", full_name="甲联络员", role=Role.UNIT_ADMIN, unit=unit_a),
        AccountSpec(username="a-leader", full_name="甲领导", role=Role.UNIT_LEADER, unit=unit_a),
    ]
    created = services.accounts_bulk_create(committee=committee, specs=specs, actor=admin)
    assert [u.username for u, _ in created] == ["a-admin", "a-leader"]
    passwords = [p for _, p in created]
    assert len(set(passwords)) == 2
    for user, password in created:
        user.refresh_from_db()
        assert user.must_change_password
        assert user.check_password(password)
        assert user.committee == committee
    assert AuditEntry.objects.filter(action="account.create").count() == 2
    assert not any(p in str(AuditEntry.objects.values_list("data", flat=True)) for p in passwords)


@pytest.mark.parametrize("problem", ["unit-role-without-unit", "not-grantable", "duplicate"])
def test_bulk_create_is_all_or_nothing(committee, admin, unit_a, problem):
    bad = {
        "unit-role-without-unit": AccountSpec(
            username="c-member", full_name="无单位", role=Role.MEMBER
        ),
        "not-grantable": AccountSpec(username="c-sec", full_name="越权", role=Role.SECURITY_ADMIN),
        # The same name as the first spec, differing only in case.
        "duplicate": AccountSpec(
            username="A-ADMIN", full_name="重名", role=Role.MEMBER, unit=unit_a
        ),
    }[problem]
    users, assignments, entries = (
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEntry.objects.count(),
    )
    specs = [
        AccountSpec(username="a-admin", full_name="甲联络员", role=Role.UNIT_ADMIN, unit=unit_a),
        AccountSpec(username="b-leader", full_name="乙领导", role=Role.UNIT_LEADER, unit=unit_a),
        bad,
    ]
    with pytest.raises((ValidationError, PermissionDenied)):
        services.accounts_bulk_create(committee=committee, specs=specs, actor=admin)
    assert User.objects.count() == users
    assert RoleAssignment.objects.count() == assignments
    assert AuditEntry.objects.count() == entries
    assert not User.objects.filter(username__in=["a-admin", "b-leader"]).exists()
    assert audit_verify().ok


# --- role_revoke and other account changes end sessions ----------------------------------------


def test_role_revoke_bumps_the_session_epoch_and_ends_sessions(
    committee, admin, unit_a, unit_admin
):
    services.role_grant(user=unit_admin, role=Role.MEMBER, unit=unit_a, actor=admin)
    client = logged_in(unit_admin)
    assert client.get("/").status_code == 200
    epoch = User.objects.get(pk=unit_admin.pk).session_epoch

    assignment = RoleAssignment.objects.get(user=unit_admin, role=Role.UNIT_ADMIN)
    services.role_revoke(assignment=assignment, actor=admin)

    assert User.objects.get(pk=unit_admin.pk).session_epoch == epoch + 1
    assert _roles(unit_admin) == {Role.MEMBER}
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    entry = AuditEntry.objects.get(action="account.role.revoke")
    assert entry.data["before"] == {"role": Role.UNIT_ADMIN, "unit_id": unit_a.pk}
    # The password still works: only the sessions ended.
    assert logged_in(unit_admin).get("/").status_code == 200


def test_role_revoke_by_an_unauthorised_actor_changes_nothing(committee, admin, security, auditor):
    assignment = RoleAssignment.objects.get(user=auditor)
    epoch = auditor.session_epoch
    with pytest.raises(PermissionDenied):
        services.role_revoke(assignment=assignment, actor=admin)
    assert _roles(auditor) == {Role.AUDITOR}
    assert User.objects.get(pk=auditor.pk).session_epoch == epoch


def test_password_reset_gives_a_new_initial_password_and_ends_sessions(
    committee, admin, unit_a, unit_admin
):
    client = logged_in(unit_admin)
    assert client.get("/").status_code == 200
    LoginThrottle.objects.create(key=f"account:{unit_admin.username}", failures=3)
    password = services.password_reset(user=unit_admin, actor=admin)
    unit_admin.refresh_from_db()
    assert unit_admin.check_password(password) and not unit_admin.check_password(PASSWORD)
    assert unit_admin.must_change_password
    assert not LoginThrottle.objects.filter(key__contains=unit_admin.username).exists()
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="account.password.reset").exists()


def test_password_change_service_validates_the_new_password(unit_a, unit_admin):
    with pytest.raises(ValidationError):
        services.password_change(user=unit_admin, new_password="weak")
    unit_admin.refresh_from_db()
    assert unit_admin.check_password(PASSWORD)


def test_committee_admin_cannot_manage_a_separated_duty_account(committee, admin, auditor):
    with pytest.raises(PermissionDenied):
        services.account_set_active(user=auditor, active=False, actor=admin)
    with pytest.raises(PermissionDenied):
        services.password_reset(user=auditor, actor=admin)
    auditor.refresh_from_db()
    assert auditor.is_active


def test_only_the_security_admin_unlocks(committee, admin, security, unit_a, unit_admin):
    LoginThrottle.objects.create(key=f"account:{unit_admin.username}", failures=5)
    with pytest.raises(PermissionDenied):
        services.account_unlock(user=unit_admin, actor=admin)
    assert LoginThrottle.objects.exists()
    assert services.account_unlock(user=unit_admin, actor=security) == 1
    assert not LoginThrottle.objects.exists()
    assert AuditEntry.objects.filter(action="account.unlock").exists()
