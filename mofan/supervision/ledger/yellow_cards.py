"""Yellow cards (黄牌警示) on 软弱涣散 party organisations: issued with 挂牌整改 problem items,
lifted once every one of them is closed."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.notifications.recipients import unit_people
from mofan.notifications.services import notify
from mofan.organizations.models import PartyOrganization, Unit
from mofan.rectification.models import ProblemItem, ProblemSource, ProblemState
from mofan.rectification.services import problem_item_create
from mofan.supervision.common import require_committee_admin, today_or
from mofan.supervision.ledger.common import YELLOW_CARD_ORIGIN, rectify_deadline
from mofan.supervision.models import YellowCard


@transaction.atomic
def yellow_card_issue(
    *,
    party_org: PartyOrganization,
    reasons: str,
    actor: Actor,
    problems: Sequence[str] = (),
    rectify_by: datetime.date | None = None,
    issued_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> YellowCard:
    """Mark a party organisation 软弱涣散 (the committee admin): a yellow card with the reasons,
    and one 挂牌整改 problem item per problem given. The unit's people are told."""
    unit = Unit.objects.get(pk=party_org.unit_id)
    require_committee_admin(actor, unit.committee_id, _("只有本工委管理员可以挂牌警示。"))
    day = today_or(today)
    issued = issued_on or day
    if not reasons.strip():
        raise ValidationError(_("请填写认定软弱涣散的理由。"))
    if issued > day:
        raise ValidationError(_("挂牌日期不能晚于今天。"))
    if rectify_by is not None and rectify_by < issued:
        raise ValidationError(_("整改时限不能早于挂牌日期。"))
    lines = [p.strip() for p in problems if p.strip()]
    if (
        YellowCard.objects.select_for_update()
        .filter(party_org=party_org, lifted_on__isnull=True)
        .exists()
    ):
        raise ValidationError(_("该党组织已处于黄牌警示中。"))
    card = YellowCard.objects.create(
        committee_id=unit.committee_id,
        party_org=party_org,
        reasons=reasons.strip(),
        issued_on=issued,
        issued_by=actor.user,
    )
    deadline = rectify_deadline(rectify_by, day)
    items = [
        problem_item_create(
            unit=unit,
            source=ProblemSource.YELLOW_CARD,
            description=line,
            deadline=deadline,
            actor=actor,
            party_org=party_org,
            origin=(YELLOW_CARD_ORIGIN, card.pk),
            one_per_origin=False,
        )
        for line in lines
    ]
    audit_record(
        action="yellow_card.issue",
        actor=actor.user,
        target=card,
        after={
            "party_org": party_org.pk,
            "unit": unit.pk,
            "issued_on": issued.isoformat(),
            "reasons": card.reasons,
            "problem_items": [i.pk for i in items],
        },
    )
    notify(
        recipients=unit_people(unit.pk),
        kind="yellow_card.issue",
        title=_("黄牌警示：%(o)s被认定为软弱涣散党组织") % {"o": party_org.name},
        body=_("挂牌日期：%(d)s。认定理由：%(r)s") % {"d": issued.isoformat(), "r": card.reasons},
        url=reverse("supervision:yellow_card_detail", args=[card.pk]),
        key=f"yellowcard:{card.pk}:issue",
    )
    return card


def yellow_card_items(card: YellowCard) -> QuerySet[ProblemItem]:
    """The 挂牌整改 items made from a card."""
    return ProblemItem.objects.filter(origin_type=YELLOW_CARD_ORIGIN, origin_id=card.pk)


@transaction.atomic
def yellow_card_lift(
    *,
    card: YellowCard,
    lifted_on: datetime.date,
    note: str,
    actor: Actor,
    today: datetime.date | None = None,
) -> YellowCard:
    """摘牌 (the committee admin), only once every 挂牌整改 item of the card is closed."""
    card = YellowCard.objects.select_related("party_org").get(pk=card.pk)
    require_committee_admin(actor, card.committee_id, _("只有本工委管理员可以摘牌。"))
    if card.lifted_on is not None:
        raise ValidationError(_("该黄牌已于 %(d)s 摘除。") % {"d": card.lifted_on.isoformat()})
    if not note.strip():
        raise ValidationError(_("请填写摘牌说明。"))
    if lifted_on > today_or(today):
        raise ValidationError(_("摘牌日期不能晚于今天。"))
    if lifted_on < card.issued_on:
        raise ValidationError(_("摘牌日期不能早于挂牌日期。"))
    still_open = yellow_card_items(card).exclude(state=ProblemState.CLOSED).count()
    if still_open:
        raise ValidationError(
            _("还有 %(n)d 项挂牌整改问题未销号，全部销号后才能摘牌。") % {"n": still_open}
        )
    updated = YellowCard.objects.filter(pk=card.pk, lifted_on__isnull=True).update(
        lifted_on=lifted_on, lifted_by=actor.user, lift_reason=note.strip()
    )
    if updated != 1:
        raise ValidationError(_("该黄牌已被摘除，请刷新后查看。"))
    card.refresh_from_db()
    audit_record(
        action="yellow_card.lift",
        actor=actor.user,
        target=card,
        before={"lifted_on": None},
        after={"lifted_on": lifted_on.isoformat(), "note": card.lift_reason},
    )
    notify(
        recipients=unit_people(card.party_org.unit_id),
        kind="yellow_card.lift",
        title=_("黄牌已摘除：%(o)s") % {"o": card.party_org.name},
        body=_("摘牌日期：%(d)s。%(n)s") % {"d": lifted_on.isoformat(), "n": card.lift_reason},
        url=reverse("supervision:yellow_card_detail", args=[card.pk]),
        key=f"yellowcard:{card.pk}:lift",
    )
    return card
