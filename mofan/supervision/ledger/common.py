"""What the ledger's writes share: origins of the problem items they make, default deadlines,
the item's page and the stale-write error."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.notifications.models import Notice
from mofan.notifications.recipients import unit_people
from mofan.notifications.services import notify
from mofan.supervision.models import LedgerItem

# Problem items from a 约谈 or a yellow card without their own date are due after this.
DEFAULT_RECTIFY_DAYS = 30

INTERVIEW_ORIGIN = "supervision.interview"
YELLOW_CARD_ORIGIN = "supervision.yellowcard"


def rectify_deadline(rectify_by: datetime.date | None, day: datetime.date) -> datetime.date:
    """The deadline of the problem items made from a 约谈 or a yellow card."""
    return rectify_by or day + datetime.timedelta(days=DEFAULT_RECTIFY_DAYS)


def stale() -> ValidationError:
    return ValidationError(_("该督办事项已被他人修改，请刷新后重试。"), code="stale")


def item_url(item: LedgerItem) -> str:
    return reverse("supervision:ledger_detail", args=[item.pk])


def notify_unit(
    item: LedgerItem, *, kind: str, title: str, body: str, key: str = ""
) -> list[Notice]:
    """Tell the item's unit (its admins and leaders) about the item; `title` names the task as
    %(t)s. The notices sent (none for recipients who already have one under `key`)."""
    return notify(
        recipients=unit_people(item.unit_id),
        kind=kind,
        title=title % {"t": item.task[:30]},
        body=body,
        url=item_url(item),
        key=key,
    )
