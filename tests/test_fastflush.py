"""The suite's cheaper flush after transactional tests (tests/fastflush.py) leaves the database
as migrate left it: every row a test wrote is gone, the content types and permissions are there
with the ids the rest of the pass knows, the built-in activity kinds of the data migration are
back with their ids, and a test that added a permission gets Django's flush and its
post_migrate (and the kinds back all the same)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from mofan.activities.models import ActivityKind
from mofan.organizations.models import Committee, Unit
from tests.factories import CommitteeFactory, UnitFactory


def flush() -> None:
    call_command("flush", verbosity=0, interactive=False, reset_sequences=False)


def kinds() -> list:
    return list(ActivityKind.objects.order_by("pk").values_list("pk", "code", "name"))


def kept() -> tuple[list, list]:
    return (
        list(ContentType.objects.order_by("pk").values_list("pk", "app_label", "model")),
        list(Permission.objects.order_by("pk").values_list("pk", "codename")),
    )


@pytest.mark.django_db(transaction=True)
def test_the_flush_empties_what_tests_wrote_and_keeps_content_types_and_permissions():
    before, builtin = kept(), kinds()
    assert before[0] and before[1] and builtin
    UnitFactory(committee=CommitteeFactory(code="flush"), name="甲单位")
    ActivityKind.objects.filter(pk=builtin[0][0]).update(name="改过的名称")
    assert Unit.objects.exists()

    flush()

    assert not Unit.objects.exists() and not Committee.objects.exists()
    assert kept() == before
    assert kinds() == builtin


@pytest.mark.django_db(transaction=True)
def test_an_added_permission_brings_back_djangos_flush(audit_triggers_lifted):
    before, builtin = kept(), kinds()
    unit_type = ContentType.objects.get_for_model(Unit)
    Permission.objects.create(codename="flush_probe", name="probe", content_type=unit_type)

    flush()

    assert not Permission.objects.filter(codename="flush_probe").exists()
    after = kept()  # post_migrate made them again: the same names, new ids
    assert sorted(row[1:] for row in after[0]) == sorted(row[1:] for row in before[0])
    assert sorted(row[1] for row in after[1]) == sorted(row[1] for row in before[1])
    assert kinds() == builtin
    flush()  # and from that state on the cheap flush again keeps them as they are
    assert kept() == after
