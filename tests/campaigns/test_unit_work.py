"""A unit's own campaign work: 实施方案, leadership group and task list (issue 4 point 2)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from mofan.accounts.access import actor_for
from mofan.accounts.models import RoleAssignment
from mofan.audit.models import AuditEntry
from mofan.campaigns.models import Enrollment, LeadershipMember, Task
from mofan.campaigns.services import campaign_create
from mofan.indicators.models import IndicatorVersion

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def enrollment(settings, tmp_path, committee, unit_a, unit_b, committee_admin):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_templates")
    version = IndicatorVersion.objects.get(system__slug="yueqing-2020", system__committee=None)
    admin = actor_for(committee_admin)
    campaign = campaign_create(
        committee=committee,
        name="2026年度",
        year=2026,
        version=version,
        actor=admin,
        units=[unit_a, unit_b],
    )
    return Enrollment.objects.get(campaign=campaign, unit=unit_a)


def test_unit_admin_records_plan_leadership_and_tasks(login, enrollment, unit_a, unit_admin):
    client = login(unit_admin)
    base = f"/campaigns/enrollments/{enrollment.pk}/"
    plan = SimpleUploadedFile("实施方案.pdf", PDF, content_type="application/pdf")
    client.post(base + "plan/", {"plan": plan})
    enrollment.refresh_from_db()
    assert enrollment.plan is not None and enrollment.plan.original_name == "实施方案.pdf"
    client.post(base + "leadership/", {"role": "leader", "name": "周组长", "post": "党委书记"})
    client.post(base + "leadership/", {"role": "office", "name": "陈主任", "post": "办公室主任"})
    client.post(
        base + "tasks/", {"title": "修订党建制度", "person": "陈主任", "deadline": "2026-12-31"}
    )
    task = Task.objects.get(enrollment=enrollment)
    client.post(f"/campaigns/tasks/{task.pk}/status/", {"status": "done"})
    task.refresh_from_db()
    assert task.status == "done"
    assert list(
        LeadershipMember.objects.filter(enrollment=enrollment).values_list("role", flat=True)
    ) == [
        "leader",
        "office",
    ]
    html = client.get(base).content.decode()
    assert "周组长" in html and "修订党建制度" in html and "实施方案.pdf" in html
    for action in (
        "campaign.plan.set",
        "campaign.leadership.add",
        "campaign.task.add",
        "campaign.task.status",
    ):
        assert AuditEntry.objects.filter(action=action).exists(), action


def test_a_plan_must_be_a_document_and_others_cannot_write(
    login, client, enrollment, unit_a, unit_b, outsider, unit_admin, unit_leader
):
    login(unit_admin)
    png = SimpleUploadedFile(
        "plan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png"
    )
    response = client.post(
        f"/campaigns/enrollments/{enrollment.pk}/plan/", {"plan": png}, follow=True
    )
    enrollment.refresh_from_db()
    assert enrollment.plan is None
    assert "实施方案应为" in response.content.decode() or "PNG" in response.content.decode()
    client.post("/accounts/logout/")
    # The unit's leader may read but not write; unit B's admin sees nothing.
    login(unit_leader)
    assert client.get(f"/campaigns/enrollments/{enrollment.pk}/").status_code == 200
    client.post(
        f"/campaigns/enrollments/{enrollment.pk}/leadership/", {"role": "leader", "name": "某"}
    )
    client.post("/accounts/logout/")
    login(outsider)
    assert client.get(f"/campaigns/enrollments/{enrollment.pk}/").status_code == 404
    assert (
        client.post(
            f"/campaigns/enrollments/{enrollment.pk}/tasks/",
            {"title": "x", "person": "y", "deadline": "2026-12-01"},
        ).status_code
        == 404
    )
    assert not LeadershipMember.objects.exists() and not Task.objects.exists()
    assert not RoleAssignment.objects.filter(user=unit_admin, unit=unit_b).exists()


def test_campaign_form_sets_bands_and_veto_effects(login, committee, unit_a, committee_admin):
    from mofan.campaigns.models import Campaign

    call_command("load_templates")
    version = IndicatorVersion.objects.get(system__slug="bureau-2022", system__committee=None)
    client = login(committee_admin)
    form = {
        "name": "2027年度",
        "year": 2027,
        "version": version.pk,
        "all_units": "on",
        "honours_quota": "0.15",
        "weight_self": "0.2",
        "weight_review": "0.8",
        "band_excellent": "0.95",
        "band_good": "0.85",
        "band_pass": "0.7",
        "veto_blocks_excellent": "on",
        "evidence_max_mb": "10",
        "evidence_cap": "3",
    }
    bad = client.post("/campaigns/new/", {**form, "band_good": "0.96"})
    assert "等次线应依次降低" in bad.content.decode()
    assert client.post("/campaigns/new/", form).status_code == 302
    campaign = Campaign.objects.get(name="2027年度")
    assert [b["min_ratio"] for b in campaign.grade_bands] == [0.95, 0.85, 0.7, 0]
    assert campaign.veto_blocks == ["优秀"]
    weights = {k: float(v) for k, v in campaign.composite_weights.items()}
    assert weights == {"self": 0.2, "review": 0.8}
    assert str(campaign.honours_quota) == "0.150"
    assert (campaign.evidence_max_mb, campaign.evidence_cap_per_indicator) == (10, 3)
    assert campaign.enrollments.count() == 1
