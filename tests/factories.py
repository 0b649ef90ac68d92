"""factory_boy factories and persona helpers shared by the suite."""

from __future__ import annotations

import datetime
import itertools

import factory
from django.utils import timezone

from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import COMMITTEE_ROLES, Role
from mofan.organizations.models import (
    Committee,
    Member,
    PartyOrganization,
    PartyOrgKind,
    Unit,
)
from mofan.organizations.validators import credit_code_check_char

PASSWORD = "Test-Passw0rd!"
_codes = itertools.count(1)


def valid_credit_code(n: int | None = None) -> str:
    body = f"11410800MB{(n if n is not None else next(_codes)):07d}"[:17]
    return body + credit_code_check_char(body)


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"测试市直机关工委{n}")
    code = factory.Sequence(lambda n: f"committee-{n}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    committee = factory.SubFactory(CommitteeFactory)
    name = factory.Sequence(lambda n: f"测试单位{n}")
    short_name = factory.Sequence(lambda n: f"单位{n}")
    credit_code = factory.LazyFunction(valid_credit_code)
    sort_order = factory.Sequence(lambda n: n)


class PartyOrgFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyOrganization

    unit = factory.SubFactory(UnitFactory)
    kind = PartyOrgKind.BRANCH
    name = factory.Sequence(lambda n: f"第{n}党支部")
    elected_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=400))
    term_years = 3


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    unit = factory.SubFactory(UnitFactory)
    party_org = None
    name = factory.Sequence(lambda n: f"成员{n}")
    gender = "1"
    political_status = "01"
    phone = "13800000000"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    committee = factory.SubFactory(CommitteeFactory)
    must_change_password = False
    password_changed_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password(PASSWORD)


def make_user(
    role: str, *, committee: Committee | None = None, unit: Unit | None = None, **kw: object
) -> User:
    """An account holding one role: committee roles need a committee, unit roles a unit."""
    if unit is not None:
        committee = unit.committee
    user = UserFactory(committee=committee or CommitteeFactory(), **kw)
    RoleAssignment.objects.create(
        user=user,
        role=role,
        committee=user.committee,
        unit=None if role in COMMITTEE_ROLES else unit,
    )
    return user


__all__ = ["PASSWORD", "Role", "make_user"]
