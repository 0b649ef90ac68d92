"""Daily deadline reminders for problem-list items: a job of `manage.py send_reminders` (run by
cron), registered in `rectification/extensions.py`.

- an item not closed whose deadline is 7 days or 1 day away: a reminder to the unit's admin and
  leader (keys `problem:<id>:due7`, `problem:<id>:due1`);
- an item not closed whose deadline has passed: one "已逾期" notice to the unit's admin and
  leader and to the committee's admins (key `problem:<id>:overdue`), on the first run after the
  deadline, however late that run is.

Every notice carries a key, so a second run on the same day sends nothing. `today` is a
parameter (the command passes `timezone.localdate()`), so tests freeze the date without a clock.
The texts say what is due and link to the item; none asks anyone to check in, take photos or
report daily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.models import User
from mofan.notifications.models import Notice
from mofan.notifications.recipients import committee_people, unit_people
from mofan.notifications.services import notify
from mofan.rectification.models import OPEN_STATES, ProblemItem

DUE_DAYS = (7, 1)


@dataclass
class ReminderSummary:
    today: date
    # days before the deadline -> (items reminded, notices written)
    due: dict[int, tuple[int, int]] = field(default_factory=dict)
    overdue_items: int = 0
    overdue_notices: int = 0

    @property
    def notices(self) -> int:
        return sum(n for _items, n in self.due.values()) + self.overdue_notices

    def text(self) -> str:
        parts = [
            _("%(days)s 天到期提醒 %(notices)s 条（%(items)s 项）")
            % {"days": days, "notices": notices, "items": items}
            for days, (items, notices) in sorted(self.due.items(), reverse=True)
        ]
        parts.append(
            _("逾期提醒 %(notices)s 条（%(items)s 项）")
            % {"notices": self.overdue_notices, "items": self.overdue_items}
        )
        line = _("%(date)s 整改时限提醒：") % {"date": self.today.isoformat()} + "，".join(parts)
        return line + _("。")


def due_texts(item: ProblemItem, days: int) -> tuple[str, str]:
    """Title and body of the reminder `days` days before an item's deadline."""
    title = _("整改时限还有 %(days)s 天：%(d)s") % {"days": days, "d": _short(item.description)}
    body = _("%(unit)s的问题清单项「%(d)s」整改时限为 %(date)s，还有 %(days)s 天。") % {
        "unit": item.unit.name,
        "d": _short(item.description),
        "date": item.deadline.isoformat(),
        "days": days,
    }
    return title, body


def overdue_texts(item: ProblemItem, today: date) -> tuple[str, str]:
    title = _("整改已逾期：%(d)s") % {"d": _short(item.description)}
    body = _(
        "%(unit)s的问题清单项「%(d)s」整改时限为 %(date)s，已逾期 %(days)s 天，"
        "当前状态：%(state)s。"
    ) % {
        "unit": item.unit.name,
        "d": _short(item.description),
        "date": item.deadline.isoformat(),
        "days": (today - item.deadline).days,
        "state": item.get_state_display(),
    }
    return title, body


def _short(text: str, length: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _open_items() -> QuerySet[ProblemItem]:
    return ProblemItem.objects.filter(state__in=OPEN_STATES).select_related("unit")


class _People:
    """Recipients per unit and per committee, each looked up once per run."""

    def __init__(self) -> None:
        self.units: dict[int, list[User]] = {}
        self.committees: dict[int, list[User]] = {}

    def unit(self, unit_id: int) -> list[User]:
        if unit_id not in self.units:
            self.units[unit_id] = list(unit_people(unit_id))
        return self.units[unit_id]

    def committee(self, committee_id: int) -> list[User]:
        if committee_id not in self.committees:
            self.committees[committee_id] = list(committee_people(committee_id))
        return self.committees[committee_id]


def send_problem_reminders(*, today: date) -> ReminderSummary:
    summary = ReminderSummary(today=today)
    people = _People()
    for days in DUE_DAYS:
        items = notices = 0
        for item in _open_items().filter(deadline=today + timedelta(days=days)):
            title, body = due_texts(item, days)
            with transaction.atomic():
                written = notify(
                    recipients=people.unit(item.unit_id),
                    kind=f"problem.due{days}",
                    title=title,
                    body=body,
                    url=reverse("rectification:item_detail", args=[item.pk]),
                    key=f"problem:{item.pk}:due{days}",
                )
            items += bool(written)
            notices += len(written)
        summary.due[days] = (items, notices)

    # Overdue items already told once are skipped without a query per item.
    told = set(
        Notice.objects.filter(kind="problem.overdue").values_list("key", flat=True).distinct()
    )
    for item in _open_items().filter(deadline__lt=today).order_by("deadline", "pk"):
        key = f"problem:{item.pk}:overdue"
        if key in told:
            continue
        title, body = overdue_texts(item, today)
        with transaction.atomic():
            written = notify(
                recipients=[*people.unit(item.unit_id), *people.committee(item.committee_id)],
                kind="problem.overdue",
                title=title,
                body=body,
                url=reverse("rectification:item_detail", args=[item.pk]),
                key=key,
            )
        summary.overdue_items += bool(written)
        summary.overdue_notices += len(written)

    return summary
