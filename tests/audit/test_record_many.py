"""`audit_record_many`: many entries appended in one go are the entries `audit_record` would
have written one by one, in order, and the chain over them verifies (and still catches an
edit)."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection

from mofan.accounts.roles import Role
from mofan.audit import services, triggers
from mofan.audit.models import AuditEntry
from tests.factories import CommitteeFactory, make_user

pytestmark = pytest.mark.django_db


def _content(entry: AuditEntry) -> tuple[object, ...]:
    return (
        entry.action,
        entry.actor_id,
        entry.actor_name,
        entry.object_type,
        entry.object_id,
        entry.data,
        entry.committee_id,
        entry.result,
    )


def test_many_entries_equal_one_by_one_entries_and_the_chain_verifies() -> None:
    committee = CommitteeFactory()
    user = make_user(Role.COMMITTEE_ADMIN, committee=committee)
    specs = [
        {
            "action": "test.many",
            "actor": user,
            "object_type": "campaigns.enrollment",
            "object_id": i,
            "before": {"state": "reviewed"} if i % 2 else None,
            "after": {"state": "approved", "n": str(i), "password": "secret"},
        }
        for i in range(services.BULK_BATCH + 7)  # more than one batch
    ]
    head = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    assert services.audit_record_many(entries=specs) == len(specs)
    many = list(AuditEntry.objects.filter(id__gt=head).order_by("id"))
    assert [e.id for e in many] == list(range(head + 1, head + 1 + len(specs)))
    one_by_one = [services.audit_record(**spec) for spec in specs[:3]]
    for bulk, single in zip(many[:3], one_by_one, strict=True):
        assert _content(bulk) == _content(single)
    assert many[0].data["after"]["password"] != "secret"  # masked like a single entry
    assert all(e.prev_mac == p.mac for p, e in itertools.pairwise(many))
    assert services.audit_verify().ok
    assert services.audit_record_many(entries=[]) == 0


def test_an_edited_bulk_entry_breaks_the_chain() -> None:
    user = make_user(Role.COMMITTEE_ADMIN, committee=CommitteeFactory())
    services.audit_record_many(
        entries=[{"action": "test.many", "actor": user, "extra": {"i": i}} for i in range(5)]
    )
    entry = AuditEntry.objects.filter(action="test.many").order_by("id")[2]
    with triggers.lifted(connection), connection.cursor() as cursor:  # an attacker's access
        cursor.execute(
            f"UPDATE {triggers.TABLE} SET actor_name = %s WHERE id = %s",
            ["someone-else", entry.id],
        )
    result = services.audit_verify()
    assert not result.ok
    assert result.bad_id == entry.id
