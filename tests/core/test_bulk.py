"""`core.bulk.rows_update`: each row's values made as `save()` makes them — an encrypted field
stored encrypted, its blind index following it, a foreign key by its id — on both databases.
`core.bulk.rows_insert`: plain rows inserted as their fields prepare them, the shared values
once, an encrypted field encrypted (a subclass of a plain field is never taken as plain)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from mofan.accounts.models import TotpDevice
from mofan.core import bulk
from mofan.core.bulk import rows_insert, rows_update
from mofan.organizations.models import Member
from tests.factories import MemberFactory, PartyOrgFactory, UnitFactory, UserFactory

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


def test_rows_insert_writes_what_save_would_with_the_shared_values_once():
    users = [UserFactory() for _ in range(3)]
    confirmed = timezone.now().replace(microsecond=123000)
    rows = [
        {"user_id": user.pk, "secret": f"JBSWY3DPEHPK3PX{n}", "last_step": 10**12 + n}
        for n, user in enumerate(users)
    ]
    assert rows_insert(TotpDevice, rows, same={"confirmed_at": confirmed}) == 3
    stored = {d.user_id: d for d in TotpDevice.objects.filter(user__in=users)}
    for n, user in enumerate(users):
        device = stored[user.pk]
        assert (device.secret, device.last_step, device.confirmed_at) == (
            f"JBSWY3DPEHPK3PX{n}",
            10**12 + n,
            confirmed,
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT secret FROM {TotpDevice._meta.db_table} WHERE user_id = %s", [users[0].pk]
        )
        raw = cursor.fetchone()[0]
    assert "JBSWY3DPEHPK3PX0" not in str(raw)  # encrypted at rest, as save() stores it
    assert rows_insert(TotpDevice, []) == 0


def test_rows_insert_takes_more_rows_than_one_batch(monkeypatch):
    monkeypatch.setattr(bulk, "BATCH", 2)
    users = UserFactory.create_batch(5)
    rows = [{"user_id": u.pk, "secret": "S", "last_step": n} for n, u in enumerate(users)]
    assert rows_insert(TotpDevice, rows) == 5
    steps = TotpDevice.objects.filter(user__in=users).values_list("last_step", flat=True)
    assert sorted(steps) == [0, 1, 2, 3, 4]


def test_rows_insert_takes_many_rows_by_copy_on_postgresql_and_few_by_insert(monkeypatch):
    """Both ways in, on whichever database runs: a hundred rows and more (COPY on PostgreSQL),
    fewer (a prepared INSERT), the values read back the same."""
    users = UserFactory.create_batch(6)
    monkeypatch.setattr(bulk, "COPY_FROM", 3)
    many = [{"user_id": u.pk, "secret": f"K{n}", "last_step": n} for n, u in enumerate(users[:4])]
    few = [{"user_id": u.pk, "secret": f"K{n}", "last_step": n} for n, u in enumerate(users[4:])]
    assert rows_insert(TotpDevice, many) == 4
    assert rows_insert(TotpDevice, few) == 2
    stored = TotpDevice.objects.filter(user__in=users).values_list("secret", "last_step")
    assert sorted(stored) == [("K0", 0), ("K0", 0), ("K1", 1), ("K1", 1), ("K2", 2), ("K3", 3)]
