"""The daily 换届 reminder (a job of `manage.py send_reminders`, registered in this app's
`extensions.py`): a party organisation whose term ends within 90 days (`election_due_on`, from
its file card 建档立卡), or has already ended, is reminded once per due date to its unit's admin
and leader (key `election:<org>:<date>`): a new election moves the date, and the next term is
reminded in its turn. Organisations of inactive units are left out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.notifications.recipients import units_people
from mofan.notifications.services import notify
from mofan.organizations.models import ELECTION_WARNING_DAYS, PartyOrganization


@dataclass
class ElectionReminders:
    today: date
    orgs: int = 0
    notices: int = 0

    def text(self) -> str:
        return _("%(date)s 换届提醒 %(n)s 条（%(k)s 个党组织）。") % {
            "date": self.today.isoformat(),
            "n": self.notices,
            "k": self.orgs,
        }


def election_texts(org: PartyOrganization, today: date) -> tuple[str, str]:
    due = org.election_due_on
    assert due is not None
    if due < today:
        title = _("%(o)s换届已逾期") % {"o": org.name}
        body = _("%(u)s%(o)s的任期已于 %(d)s 届满，请及时组织换届选举并更新建档立卡信息。")
    else:
        title = _("%(o)s将于 %(n)s 天后换届") % {"o": org.name, "n": (due - today).days}
        body = _("%(u)s%(o)s的任期将于 %(d)s 届满，请提前做好换届选举准备。")
    return title, body % {"u": org.unit.name, "o": org.name, "d": due.isoformat()}


def send_election_reminders(*, today: date) -> ElectionReminders:
    horizon = today + timedelta(days=ELECTION_WARNING_DAYS)
    orgs = list(
        PartyOrganization.objects.filter(election_due_on__lte=horizon, unit__is_active=True)
        .select_related("unit")
        .order_by("election_due_on", "pk")
    )
    people = units_people({org.unit_id for org in orgs})
    summary = ElectionReminders(today=today)
    for org in orgs:
        title, body = election_texts(org, today)
        with transaction.atomic():
            written = notify(
                recipients=people.get(org.unit_id, []),
                kind="election.due",
                title=title,
                body=body,
                url=reverse("organizations:party_org_detail", args=[org.pk]),
                key=f"election:{org.pk}:{org.election_due_on.isoformat()}",  # type: ignore[union-attr]
            )
        summary.orgs += bool(written)
        summary.notices += len(written)
    return summary
