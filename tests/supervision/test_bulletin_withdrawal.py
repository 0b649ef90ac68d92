"""Withdrawing a published bulletin (issue 14 point 11): only the committee's admin, with a
reason, through the one transition function; audited; the people told of the publication are
told of the withdrawal; the bulletin stays readable, marked 已撤回 with the reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from mofan.audit.models import AuditEntry
from mofan.core.concurrency import StaleWrite
from mofan.notifications.models import Notice
from mofan.supervision import bulletins as services
from mofan.supervision.models import Bulletin, BulletinState
from tests.supervision.bulletin_fixtures import scene
from tests.world import logged_in, persona

__all__ = ["scene"]  # the fixture

pytestmark = pytest.mark.django_db

REASON = "数据口径有误，另行印发"


def publish(s, bulletin: Bulletin) -> Bulletin:
    return services.bulletin_transition(
        bulletin=bulletin,
        to=BulletinState.PUBLISHED,
        expected_version=bulletin.version,
        actor=s.actor("committee_admin"),
    )


def withdraw(s, bulletin: Bulletin, name: str = "committee_admin", **kw) -> Bulletin:
    kw.setdefault("reason", REASON)
    kw.setdefault("expected_version", bulletin.version)
    return services.bulletin_transition(
        bulletin=bulletin, to=BulletinState.WITHDRAWN, actor=s.actor(name), **kw
    )


def test_only_the_admin_withdraws_a_published_bulletin_with_a_reason(scene):
    s = scene
    published = publish(s, s.draft)
    for name in ("committee_leader", "owner", "other_admin", "x_admin"):
        with pytest.raises(PermissionDenied):
            withdraw(s, published, name)
    with pytest.raises(ValidationError, match="撤回理由"):
        withdraw(s, published, reason="  ")
    with pytest.raises(StaleWrite):
        withdraw(s, published, expected_version=1)
    with pytest.raises(ValidationError, match="不允许"):
        withdraw(
            s,
            Bulletin.objects.create(
                committee=s.committee, title="草", body="b", created_by=s.user("committee_admin")
            ),
        )
    assert not AuditEntry.objects.filter(action="bulletin.withdraw").exists()
    withdrawn = withdraw(s, published)
    assert withdrawn.state == BulletinState.WITHDRAWN and withdrawn.version == 3
    assert withdrawn.withdrawal_reason == REASON and withdrawn.withdrawn_at
    assert withdrawn.withdrawn_by == s.user("committee_admin")
    entry = AuditEntry.objects.get(action="bulletin.withdraw", object_id=str(published.pk))
    assert entry.data["before"]["state"] == "published"
    assert entry.data["after"]["state"] == "withdrawn"
    assert entry.data["after"]["reason"] == REASON
    for to in (BulletinState.WITHDRAWN, BulletinState.PUBLISHED, BulletinState.DRAFT):
        with pytest.raises(ValidationError):
            services.bulletin_transition(
                bulletin=withdrawn, to=to, expected_version=3, actor=s.actor("committee_admin")
            )


def test_the_people_told_of_the_publication_are_told_of_the_withdrawal(scene):
    s = scene
    published = publish(s, s.draft)
    told = set(
        Notice.objects.filter(kind="bulletin.published").values_list("recipient_id", flat=True)
    )
    assert s.user("owner").pk in told
    latecomer = persona("unit_admin", unit_a=s.w.unit_a)  # appointed after the publication
    withdraw(s, published)
    notices = Notice.objects.filter(kind="bulletin.withdrawn")
    assert set(notices.values_list("recipient_id", flat=True)) == told
    assert latecomer.pk not in told
    assert all(REASON in n.body and n.url.endswith(f"/{published.pk}/") for n in notices)
    # a bulletin whose publication told nobody (set up directly) tells nobody of its withdrawal
    Notice.objects.all().delete()
    withdraw(s, s.published)
    assert not Notice.objects.exists()


def test_the_pages_offer_withdrawal_to_the_admin_and_show_it_to_the_units(scene):
    s = scene
    bulletin = s.published
    detail = reverse("supervision:bulletin_detail", args=[bulletin.pk])
    url = reverse("supervision:bulletin_withdraw", args=[bulletin.pk])
    admin = logged_in(s.user("committee_admin"))
    assert url in admin.get(detail).content.decode()
    for name in ("committee_leader", "owner", "outsider"):
        client = logged_in(s.user(name))
        assert url not in client.get(detail).content.decode(), name
        response = client.post(url, {"version": bulletin.version, "reason": REASON})
        assert response.status_code == 403, name
    other = logged_in(s.user("other_admin"))
    assert other.post(url, {"version": bulletin.version, "reason": REASON}).status_code == 404
    refused = admin.post(url, {"version": bulletin.version, "reason": ""})
    assert refused.status_code == 400 and "撤回理由" in refused.content.decode()
    bulletin.refresh_from_db()
    assert bulletin.state == BulletinState.PUBLISHED
    response = admin.post(url, {"version": bulletin.version, "reason": REASON})
    assert response.status_code == 302
    owner = logged_in(s.user("owner"))
    page = owner.get(detail).content.decode()
    assert "本通报已撤回" in page and REASON in page and url not in page
    listing = owner.get(reverse("supervision:bulletin_list")).content.decode()
    assert bulletin.title in listing and "已撤回" in listing
    assert url not in admin.get(detail).content.decode()  # withdrawn once


def test_a_withdrawn_monthly_bulletin_may_be_reissued(scene):
    import datetime as dt

    s = scene
    admin = s.actor("committee_admin")
    day = dt.date(2026, 3, 15)
    first = services.bulletin_monthly_draft(
        committee=s.committee, year=2026, month=3, actor=admin, today=day
    )
    first = publish(s, first)
    with pytest.raises(ValidationError, match="已经生成"):
        services.bulletin_monthly_draft(
            committee=s.committee, year=2026, month=3, actor=admin, today=day
        )
    withdraw(s, first)
    again = services.bulletin_monthly_draft(
        committee=s.committee, year=2026, month=3, actor=admin, today=day
    )
    assert again.pk != first.pk and again.state == BulletinState.DRAFT
