"""The links of evidence files to the leaf indicators of an enrollment: stored once, capped
per indicator, limited to the pinned version's leaves and the unit's own files, locked once the
self-evaluation is submitted."""

# The fixtures are imported from evidence_fixtures and requested by name.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.models import AuditEntry
from mofan.campaigns.models import EnrollmentState
from mofan.evaluations import evidence as ev
from mofan.evaluations.models import EvidenceLink
from mofan.evidence.models import Evidence
from mofan.evidence.services import evidence_delete, evidence_upload
from mofan.indicators.models import IndicatorNode
from tests.evaluations.evidence_fixtures import (  # noqa: F401 (fixtures)
    make_pdf,
    media,
    stored_files,
    upload_of,
    world,
)


def _upload(world, user, name="自评报告.pdf", content=None):
    unit = world.unit_a if user == world.admin_a else world.unit_b
    evidence, _created = evidence_upload(
        unit=unit, upload=upload_of(name, content or make_pdf()), actor=world.actor(user)
    )
    return evidence


def test_one_file_linked_to_three_indicators_is_stored_once(world, media):
    actor = world.actor(world.admin_a)
    evidence = _upload(world, world.admin_a)
    for code in ("1.1.1", "1.1.2", "2.1.1"):
        ev.evidence_link(
            evidence=evidence, enrollment=world.enrollment_a, node=world.node(code), actor=actor
        )
    assert EvidenceLink.objects.filter(evidence=evidence).count() == 3
    assert Evidence.objects.count() == 1
    assert len(stored_files(media)) == 1
    assert AuditEntry.objects.filter(action="evidence.link").count() == 3
    # Linking again is idempotent.
    ev.evidence_link(
        evidence=evidence, enrollment=world.enrollment_a, node=world.node("1.1.1"), actor=actor
    )
    assert EvidenceLink.objects.filter(evidence=evidence).count() == 3


def test_cap_per_indicator_is_enforced(world):
    world.campaign.evidence_cap_per_indicator = 2
    world.campaign.save()
    actor = world.actor(world.admin_a)
    node = world.node("1.1.1")
    files = [
        _upload(world, world.admin_a, f"材料{i}.pdf", make_pdf(b"%%%d\n" % i)) for i in range(3)
    ]
    for evidence in files[:2]:
        ev.evidence_link(evidence=evidence, enrollment=world.enrollment_a, node=node, actor=actor)
    with pytest.raises(ValidationError, match="最多可关联 2 份"):
        ev.evidence_link(evidence=files[2], enrollment=world.enrollment_a, node=node, actor=actor)
    # The cap is per indicator: another leaf still takes the third file.
    ev.evidence_link(
        evidence=files[2], enrollment=world.enrollment_a, node=world.node("1.1.2"), actor=actor
    )


def test_link_refused_outside_the_pinned_version_and_for_non_leaves(world):
    actor = world.actor(world.admin_a)
    evidence = _upload(world, world.admin_a)
    other_version_leaf = (
        IndicatorNode.objects.exclude(version=world.version).filter(children__isnull=True).first()
    )
    with pytest.raises(ValidationError, match="不属于本次创建活动"):
        ev.evidence_link(
            evidence=evidence, enrollment=world.enrollment_a, node=other_version_leaf, actor=actor
        )
    for code in ("1", "1.1"):
        with pytest.raises(ValidationError, match="末级指标"):
            ev.evidence_link(
                evidence=evidence, enrollment=world.enrollment_a, node=world.node(code), actor=actor
            )
    assert not EvidenceLink.objects.exists()


def test_link_refused_for_another_units_evidence(world):
    evidence_b = _upload(world, world.admin_b)
    with pytest.raises(ValidationError, match="只能关联本单位"):
        ev.evidence_link(
            evidence=evidence_b,
            enrollment=world.enrollment_a,
            node=world.node("1.1.1"),
            actor=world.actor(world.admin_a),
        )
    # ...and B's admin cannot link into A's enrollment at all.
    with pytest.raises(PermissionDenied):
        ev.evidence_link(
            evidence=evidence_b,
            enrollment=world.enrollment_a,
            node=world.node("1.1.1"),
            actor=world.actor(world.admin_b),
        )
    assert not EvidenceLink.objects.exists()


@pytest.mark.parametrize("state", ["submitted", "reviewed", "approved"])
def test_link_and_unlink_refused_for_a_locked_enrollment(world, state):
    actor = world.actor(world.admin_a)
    evidence = _upload(world, world.admin_a)
    link = ev.evidence_link(
        evidence=evidence, enrollment=world.enrollment_a, node=world.node("1.1.1"), actor=actor
    )
    world.enrollment_a.state = state
    world.enrollment_a.save()
    with pytest.raises(ValidationError, match="已锁定"):
        ev.evidence_link(
            evidence=evidence, enrollment=world.enrollment_a, node=world.node("1.1.2"), actor=actor
        )
    with pytest.raises(ValidationError, match="已锁定"):
        ev.evidence_unlink(link=link, actor=actor)
    assert EvidenceLink.objects.count() == 1


def test_returned_enrollment_is_open_again(world):
    world.enrollment_a.state = EnrollmentState.RETURNED
    world.enrollment_a.save()
    evidence = _upload(world, world.admin_a)
    ev.evidence_link(
        evidence=evidence,
        enrollment=world.enrollment_a,
        node=world.node("1.1.1"),
        actor=world.actor(world.admin_a),
    )
    assert EvidenceLink.objects.count() == 1


def test_link_refused_for_a_file_above_the_campaigns_own_limit(world):
    evidence = _upload(world, world.admin_a)
    Evidence.objects.filter(pk=evidence.pk).update(size=30 * 1024 * 1024)
    evidence.refresh_from_db()
    with pytest.raises(ValidationError, match="大小上限（20 MB）"):
        ev.evidence_link(
            evidence=evidence,
            enrollment=world.enrollment_a,
            node=world.node("1.1.1"),
            actor=world.actor(world.admin_a),
        )


def test_unlink_then_delete_removes_the_file_on_commit(
    world, media, django_capture_on_commit_callbacks
):
    actor = world.actor(world.admin_a)
    evidence = _upload(world, world.admin_a)
    link = ev.evidence_link(
        evidence=evidence, enrollment=world.enrollment_a, node=world.node("1.1.1"), actor=actor
    )
    with pytest.raises(ValidationError, match="仍关联"):
        evidence_delete(evidence=evidence, actor=actor)
    ev.evidence_unlink(link=link, actor=actor)
    assert AuditEntry.objects.filter(action="evidence.unlink", object_id=str(link.pk)).exists()
    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(evidence=evidence, actor=actor)
    assert not Evidence.objects.exists()
    assert stored_files(media) == []
    entry = AuditEntry.objects.get(action="evidence.delete")
    assert entry.data["before"]["sha256"] == evidence.sha256
