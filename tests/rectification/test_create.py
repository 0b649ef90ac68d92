"""problem_item_create: who may put what on whose list, the audit entry and the notice."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.accounts.access import actor_for
from mofan.audit.models import AuditEntry
from mofan.notifications.models import Notice
from mofan.rectification.models import ProblemItem, ProblemSource
from mofan.rectification.services import problem_item_create

pytestmark = pytest.mark.django_db


def test_committee_admin_lists_a_problem_and_the_unit_is_told(
    committee, unit_a, committee_admin, unit_admin
):
    item = problem_item_create(
        unit=unit_a,
        source=ProblemSource.COMMITTEE_CHECK,
        description="三会一课记录不全",
        deadline=date(2026, 12, 31),
        actor=actor_for(committee_admin),
    )
    assert item.state == "open" and item.committee_id == committee.pk
    assert AuditEntry.objects.filter(action="problem.create", object_id=str(item.pk)).exists()
    notice = Notice.objects.get(recipient=unit_admin)
    assert "三会一课" in notice.title and notice.url.endswith(f"/items/{item.pk}/")


def test_a_unit_may_list_only_its_own_self_check_items(committee, unit_a, unit_b, unit_admin):
    actor = actor_for(unit_admin)
    own = problem_item_create(
        unit=unit_a,
        source=ProblemSource.SELF_CHECK,
        description="自查：学习记录不规范",
        deadline=date(2026, 12, 31),
        actor=actor,
    )
    assert own.source == "self_check"
    with pytest.raises(PermissionDenied):
        problem_item_create(
            unit=unit_a,
            source=ProblemSource.COMMITTEE_CHECK,
            description="x",
            deadline=date(2026, 12, 31),
            actor=actor,
        )
    with pytest.raises(PermissionDenied):
        problem_item_create(
            unit=unit_b,
            source=ProblemSource.SELF_CHECK,
            description="x",
            deadline=date(2026, 12, 31),
            actor=actor,
        )
    assert ProblemItem.objects.count() == 1


def test_an_origin_makes_one_item_only(committee, unit_a, committee_admin):
    admin = actor_for(committee_admin)
    kwargs = dict(
        unit=unit_a,
        source=ProblemSource.COMMITTEE_CHECK,
        description="同一问题",
        deadline=date(2026, 12, 31),
        actor=admin,
        origin=("supervision.interview", 7),
    )
    problem_item_create(**kwargs)
    with pytest.raises(ValidationError):
        problem_item_create(**kwargs)
    assert ProblemItem.objects.count() == 1


def test_a_yellow_card_lists_several_items_under_one_origin(committee, unit_a, committee_admin):
    admin = actor_for(committee_admin)
    for text in ("组织生活不经常", "党员教育管理松散"):
        problem_item_create(
            unit=unit_a,
            source=ProblemSource.YELLOW_CARD,
            description=text,
            deadline=date(2026, 12, 31),
            actor=admin,
            origin=("supervision.yellowcard", 3),
            one_per_origin=False,
        )
    assert (
        ProblemItem.objects.filter(origin_type="supervision.yellowcard", origin_id=3).count() == 2
    )


def test_a_delegation_opens_only_the_delegated_source(committee, unit_a, reviewer):
    """A drawn inspector (checked by the spot-check service) may list spot-check problems; the
    same claim does not open any other source to someone without the committee role."""
    inspector = actor_for(reviewer)
    item = problem_item_create(
        unit=unit_a,
        source=ProblemSource.SPOT_CHECK,
        description="暗访发现值班制度落实不到位",
        deadline=date(2026, 12, 31),
        actor=inspector,
        authorised_by="spotcheck.inspector",
    )
    entry = AuditEntry.objects.get(action="problem.create", object_id=str(item.pk))
    assert "spotcheck.inspector" in str(entry.data)
    with pytest.raises(PermissionDenied):
        problem_item_create(
            unit=unit_a,
            source=ProblemSource.COMMITTEE_CHECK,
            description="x",
            deadline=date(2026, 12, 31),
            actor=inspector,
            authorised_by="spotcheck.inspector",
        )
    with pytest.raises(PermissionDenied):
        problem_item_create(
            unit=unit_a,
            source=ProblemSource.SPOT_CHECK,
            description="x",
            deadline=date(2026, 12, 31),
            actor=inspector,
        )


def test_an_item_listed_by_the_system_shows_the_system_in_its_history(
    committee, unit_a, login, committee_admin
):
    from django.urls import reverse

    item = problem_item_create(
        unit=unit_a,
        source=ProblemSource.RESULT,
        description="考评不达标：指标得分偏低",
        deadline=date(2026, 12, 31),
        actor=None,
    )
    client = login(committee_admin)
    page = client.get(reverse("rectification:item_detail", args=[item.pk]))
    assert page.status_code == 200
    history = page.content.decode().split('id="item-history"')[1]
    assert "系统" in history.split("</ol>")[0]
