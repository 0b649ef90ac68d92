"""The 换届 reminder (issue 14 point 5): a party organisation whose term ends within 90 days (or
has ended) is reminded once per due date to its unit's admin and leader, and to nobody else."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from mofan.notifications.elections import send_election_reminders
from mofan.notifications.models import Notice
from mofan.notifications.reminders import send_reminders
from tests.factories import PartyOrgFactory, UnitFactory, make_user

pytestmark = pytest.mark.django_db
TODAY = date(2031, 3, 1)


@pytest.fixture
def orgs(committee, unit_a, unit_b, unit_admin, unit_leader, member, outsider, committee_admin):
    closed = UnitFactory(committee=committee, is_active=False)
    make_user("unit_admin", unit=closed)
    return {
        "soon": PartyOrgFactory(unit=unit_a, election_due_on=TODAY + timedelta(days=30)),
        "overdue": PartyOrgFactory(unit=unit_a, election_due_on=TODAY - timedelta(days=10)),
        "edge": PartyOrgFactory(unit=unit_b, election_due_on=TODAY + timedelta(days=90)),
        "later": PartyOrgFactory(unit=unit_b, election_due_on=TODAY + timedelta(days=91)),
        "unknown": PartyOrgFactory(unit=unit_b, elected_on=None, election_due_on=None),
        "closed": PartyOrgFactory(unit=closed, election_due_on=TODAY + timedelta(days=5)),
    }


def sent() -> list[tuple[str, str]]:
    return sorted(
        Notice.objects.filter(kind="election.due").values_list("recipient__username", "url")
    )


def org_url(org) -> str:
    return reverse("organizations:party_org_detail", args=[org.pk])


def test_terms_ending_within_90_days_remind_the_units_admin_and_leader(
    orgs, unit_admin, unit_leader, outsider
):
    summary = send_election_reminders(today=TODAY)
    expected = [
        (person.username, org_url(orgs[name]))
        for person in (unit_admin, unit_leader)
        for name in ("soon", "overdue")
    ] + [(outsider.username, org_url(orgs["edge"]))]
    assert sent() == sorted(expected)  # not the member, the committee or the closed unit
    assert (summary.orgs, summary.notices) == (3, 5)
    overdue = Notice.objects.get(recipient=unit_admin, url=org_url(orgs["overdue"]))
    assert "已逾期" in overdue.title


def test_a_second_run_sends_nothing_and_a_new_term_is_reminded_again(orgs, outsider):
    send_reminders(today=TODAY)
    before = Notice.objects.count()
    assert send_election_reminders(today=TODAY).notices == 0
    assert Notice.objects.count() == before

    edge = orgs["edge"]
    edge.election_due_on = TODAY + timedelta(days=60)  # a correction of the file card
    edge.save()
    assert send_election_reminders(today=TODAY).notices == 1
    assert Notice.objects.filter(recipient=outsider, kind="election.due").count() == 2
    # the next day the later term enters the 90 days
    assert send_election_reminders(today=TODAY + timedelta(days=1)).notices == 1
