"""`core.bulk.rows_update`: each row's values made as `save()` makes them — an encrypted field
stored encrypted, its blind index following it, a foreign key by its id — on both databases."""

from __future__ import annotations

import pytest
from django.db import connection

from mofan.core.bulk import rows_update
from mofan.organizations.models import Member
from tests.factories import MemberFactory, PartyOrgFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_rows_update_writes_what_save_would():
    unit = UnitFactory()
    org = PartyOrgFactory(unit=unit, name="第一支部")
    members = [MemberFactory(unit=unit, phone="13800000000") for _ in range(3)]
    untouched = MemberFactory(unit=unit, phone="13800000000", post="原职务")
    for n, member in enumerate(members):
        member.phone = f"1390000000{n}"
        member.party_org = org
        member.post = f"委员{n}"
    assert rows_update(Member, members, ["phone", "party_org", "post"]) == 3
    for n, member in enumerate(members):
        stored = Member.objects.get(pk=member.pk)
        assert (stored.phone, stored.party_org_id, stored.post) == (
            f"1390000000{n}",
            org.pk,
            f"委员{n}",
        )
        assert Member.objects.get(phone_digest=Member.phone_digest_of(f"1390000000{n}")) == stored
    assert not Member.objects.filter(phone_digest=Member.phone_digest_of("13800000000")).exclude(
        pk=untouched.pk
    )
    assert Member.objects.get(pk=untouched.pk).post == "原职务"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT phone FROM {Member._meta.db_table} WHERE id = %s",
            [members[0].pk],
        )
        raw = cursor.fetchone()[0]
    assert "13900000000" not in str(raw)  # encrypted at rest, as save() stores it
    assert rows_update(Member, [], ["post"]) == 0
