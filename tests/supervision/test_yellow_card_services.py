"""Yellow cards (黄牌警示): issued by the committee admin on a 软弱涣散 party organisation with
its 挂牌整改 problem items; lifted only when every one of them is closed; both audited with
their dates; the unit's people told; the card visible on the organisation's and unit's pages.

The problem items are closed directly through the model here (`_close_all`): closing them
through the rectification workflow belongs to that app and its tests."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from mofan.audit.models import AuditEntry
from mofan.notifications.models import Notice
from mofan.rectification.models import ProblemItem, ProblemSource, ProblemState
from mofan.supervision import ledger
from mofan.supervision.models import YellowCard
from tests.supervision.ledger_world import local_today, make_card, make_org, world
from tests.world import logged_in

__all__ = ["world"]
pytestmark = pytest.mark.django_db

PROBLEMS = "三会一课长期不正常\n\n  支委会成员配备不齐  \n"


def _close_all(card):
    ledger.yellow_card_items(card).update(state=ProblemState.CLOSED)


def test_issuing_a_card_lists_one_problem_per_line_for_the_org(world):
    w = world
    org = make_org(w.a, "甲单位第一党支部")
    card = ledger.yellow_card_issue(
        party_org=org,
        reasons="组织生活不正常，软弱涣散",
        problems=ledger.problem_lines(PROBLEMS),
        actor=w.admin,
        issued_on=local_today() - datetime.timedelta(days=1),
    )
    assert card.lifted_on is None and card.issued_on == local_today() - datetime.timedelta(days=1)
    items = list(ProblemItem.objects.order_by("pk"))
    assert [i.description for i in items] == ["三会一课长期不正常", "支委会成员配备不齐"]
    assert {(i.source, i.party_org_id, i.unit_id) for i in items} == {
        (ProblemSource.YELLOW_CARD, org.pk, w.a.pk)
    }
    assert {(i.origin_type, i.origin_id) for i in items} == {("supervision.yellowcard", card.pk)}
    assert list(ledger.yellow_card_items(card).order_by("pk")) == items
    entry = AuditEntry.objects.get(action="yellow_card.issue")
    assert entry.data["after"]["issued_on"] == card.issued_on.isoformat()
    assert entry.data["after"]["problem_items"] == [i.pk for i in items]
    told = Notice.objects.filter(kind="yellow_card.issue")
    assert {n.recipient_id for n in told} == {w.users["a_admin"].pk, w.users["a_leader"].pk}
    assert "甲单位第一党支部" in told[0].title


def test_one_active_card_per_org(world):
    w = world
    org = make_org(w.a)
    make_card(w, org)
    with pytest.raises(ValidationError) as exc:
        make_card(w, org)
    assert "已处于黄牌警示中" in str(exc.value)
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database agrees
        YellowCard.objects.create(
            committee=w.committee,
            party_org=org,
            reasons="x",
            issued_on=local_today(),
            issued_by=w.users["committee_admin"],
        )


@pytest.mark.parametrize(
    "persona", ["committee_leader", "a_admin", "a_leader", "other_admin", "auditor"]
)
def test_only_the_committee_admin_issues_cards(world, persona):
    org = make_org(world.a)
    with pytest.raises(PermissionDenied):
        ledger.yellow_card_issue(party_org=org, reasons="x", actor=world.actor(persona))
    assert not YellowCard.objects.exists()


def test_lifting_is_refused_until_every_item_is_closed_then_audited(world):
    w = world
    org = make_org(w.a, "甲单位机关党委")
    card = make_card(w, org, problems=["问题一", "问题二"])
    first = ledger.yellow_card_items(card).order_by("pk").first()
    with pytest.raises(ValidationError) as exc:
        ledger.yellow_card_lift(card=card, lifted_on=local_today(), note="整改到位", actor=w.admin)
    assert "还有 2 项挂牌整改问题未销号" in str(exc.value)
    ProblemItem.objects.filter(pk=first.pk).update(state=ProblemState.CLOSED)
    with pytest.raises(ValidationError) as exc:
        ledger.yellow_card_lift(card=card, lifted_on=local_today(), note="整改到位", actor=w.admin)
    assert "还有 1 项" in str(exc.value)
    assert YellowCard.objects.get(pk=card.pk).lifted_on is None
    _close_all(card)
    with pytest.raises(PermissionDenied):
        ledger.yellow_card_lift(
            card=card, lifted_on=local_today(), note="x", actor=w.actor("committee_leader")
        )
    with pytest.raises(ValidationError):
        ledger.yellow_card_lift(card=card, lifted_on=local_today(), note=" ", actor=w.admin)
    with pytest.raises(ValidationError):
        ledger.yellow_card_lift(
            card=card, lifted_on=local_today() + datetime.timedelta(days=1), note="x", actor=w.admin
        )
    with pytest.raises(ValidationError):
        ledger.yellow_card_lift(
            card=card,
            lifted_on=card.issued_on - datetime.timedelta(days=1),
            note="x",
            actor=w.admin,
        )
    card = ledger.yellow_card_lift(
        card=card, lifted_on=local_today(), note="整改到位，经复核摘牌", actor=w.admin
    )
    assert card.lifted_on == local_today() and card.lifted_by_id == w.users["committee_admin"].pk
    entry = AuditEntry.objects.get(action="yellow_card.lift")
    assert entry.data["after"] == {
        "lifted_on": local_today().isoformat(),
        "note": "整改到位，经复核摘牌",
    }
    assert Notice.objects.filter(kind="yellow_card.lift", recipient=w.users["a_leader"]).exists()
    with pytest.raises(ValidationError):  # once only
        ledger.yellow_card_lift(card=card, lifted_on=local_today(), note="x", actor=w.admin)
    make_card(w, org, reasons="再次软弱涣散")  # a lifted card makes room for a new one
    assert YellowCard.objects.filter(party_org=org).count() == 2


def test_a_card_without_problems_can_be_lifted_at_once(world):
    w = world
    card = make_card(w, make_org(w.a))
    assert not ledger.yellow_card_items(card).exists()
    ledger.yellow_card_lift(card=card, lifted_on=local_today(), note="复查合格", actor=w.admin)


def test_the_card_is_visible_on_the_org_and_unit_pages_until_lifted(world):
    w = world
    org = make_org(w.a, "甲单位第二党支部")
    card = make_card(w, org, reasons="长期不开展组织生活", problems=["组织生活不正常"])
    card_url = reverse("supervision:yellow_card_detail", args=[card.pk])
    org_url = reverse("organizations:party_org_detail", args=[org.pk])
    unit_url = reverse("organizations:unit_detail", args=[w.a.pk])
    for persona, may_open in (("a_member", False), ("a_leader", True), ("committee_admin", True)):
        client = logged_in(w.users[persona])
        page = client.get(org_url).content.decode()
        assert "黄牌警示" in page and "长期不开展组织生活" in page, persona
        assert (card_url in page) == may_open, persona
        page = client.get(unit_url).content.decode()
        assert "黄牌警示" in page and "甲单位第二党支部自" in page, persona
    _close_all(card)
    ledger.yellow_card_lift(card=card, lifted_on=local_today(), note="摘牌", actor=w.admin)
    client = logged_in(w.users["a_member"])
    assert "黄牌" not in client.get(org_url).content.decode()
    assert "黄牌" not in client.get(unit_url).content.decode()
