"""Refusals leave a trace: 403 answers, CSRF failures, locked logins and refused second factors
are audit entries (result "denied"), rate-limited per source and place so that an attack
cannot flood the trail; what was held back is counted in the next entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mofan.audit.models import AuditEntry, AuditResult, DeniedThrottle
from mofan.audit.services import DENIED_PER_SOURCE, audit_verify
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

COMMITTEE_ONLY = ["/org/units/new/", "/manage/accounts/", "/audit/", "/manage/accounts/bulk/units/"]


@pytest.fixture
def unit_admin_client(login, unit_admin):
    return login(unit_admin)


def _denied(action: str = "access.denied"):
    return AuditEntry.objects.filter(action=action, result=AuditResult.DENIED)


def test_a_403_is_audited_with_the_actor_and_the_path(unit_admin_client, unit_admin):
    response = unit_admin_client.get("/org/units/new/")
    assert response.status_code == 403
    entry = _denied().get()
    assert entry.actor_id == unit_admin.pk
    assert entry.data["extra"]["url"] == "/org/units/new/"
    assert entry.data["extra"]["method"] == "GET"
    assert entry.committee_id == unit_admin.committee_id
    assert audit_verify().ok


def test_repeated_refusals_are_held_back_and_counted_in_the_next_window(unit_admin_client):
    for _ in range(50):
        assert unit_admin_client.get("/org/units/new/").status_code == 403
    assert _denied().count() == 1
    # A different place is recorded on its own.
    assert unit_admin_client.get("/audit/").status_code == 403
    assert _denied().count() == 2
    # The next window reports how many were held back in the last one.
    DeniedThrottle.objects.update(window_start=timezone.now() - timedelta(minutes=11))
    unit_admin_client.get("/org/units/new/")
    latest = _denied().order_by("-id").first()
    assert latest.data["extra"]["held_back"] == 49


def test_one_source_writes_at_most_its_cap_per_window(unit_admin_client, unit_admin, unit_a):
    # Many different places (every detail page of units the admin may not edit, say) are
    # still capped per source.
    from tests.factories import UnitFactory

    units = [UnitFactory(committee=unit_a.committee) for _ in range(DENIED_PER_SOURCE + 10)]
    for index, unit in enumerate(units):
        DeniedThrottle.objects.filter(key__contains="|*").update(entries=index)
        unit_admin_client.get(f"/org/units/{unit.pk}/edit/")
    assert _denied().count() <= DENIED_PER_SOURCE


def test_a_csrf_failure_is_audited(unit_admin):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/", {"username": unit_admin.username, "password": PASSWORD}
    )
    assert response.status_code == 403
    entry = _denied("access.csrf_failed").get()
    assert entry.data["extra"]["url"] == "/accounts/login/"
    assert entry.client_ip == "127.0.0.1"


def test_locked_logins_are_audited_but_do_not_flood(unit_admin):
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": unit_admin.username, "password": "wrong!"})
    assert AuditEntry.objects.filter(action="account.login.locked").count() == 1
    for _ in range(40):
        response = client.post(
            "/accounts/login/", {"username": unit_admin.username, "password": PASSWORD}
        )
        assert "已被锁定" in response.content.decode()
    refused = _denied("account.login.refused_locked")
    assert refused.count() == 1
    assert refused.get().object_id == unit_admin.username
