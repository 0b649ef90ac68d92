"""Shared builders for the notification tests."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.notifications.models import Notice
from mofan.organizations.models import Unit
from mofan.rectification.models import ProblemItem, ProblemSource
from mofan.rectification.services import problem_item_create
from tests.world import persona


def problem(unit: Unit, deadline: date, description: str = "三会一课记录不全") -> ProblemItem:
    """An item put on the unit's list by the committee's admin, through the service."""
    admin = User.objects.filter(
        role_assignments__committee=unit.committee,
        role_assignments__role=Role.COMMITTEE_ADMIN,
        role_assignments__unit__isnull=True,
    ).first() or persona("committee_admin", committee=unit.committee)
    return problem_item_create(
        unit=unit,
        source=ProblemSource.COMMITTEE_CHECK,
        description=description,
        deadline=deadline,
        actor=actor_for(admin),
    )


def notice(user: User, title: str, *, url: str = "", read: bool = False, **kw: object) -> Notice:
    """A notice written directly (for page tests; `notify` is tested on its own)."""
    return Notice.objects.create(
        recipient=user,
        kind=str(kw.pop("kind", "test")),
        title=title,
        body=str(kw.pop("body", "")),
        url=url,
        read_at=timezone.now() if read else None,
    )
