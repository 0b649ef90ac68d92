"""Recording a draw: gather everything it depends on into `inputs` (read once), derive the
result, record it (audited) and tell the inspectors (and, for an announced check, the units)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.models import User
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations import draws
from mofan.evaluations.review_groups import home_units, reviewer_pool
from mofan.notifications.recipients import unit_people
from mofan.notifications.services import notify
from mofan.supervision.common import require_committee_admin, today_or
from mofan.supervision.models import SpotCheckDraw, VisitMode
from mofan.supervision.spotcheck.derivation import ALGORITHM, derive, months_before

STRATIFY_CHOICES = ("", "category", "score_band")
UNRATED = "未评定"
SEED_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
MAX_EXCLUDE_MONTHS = 120


# --- gathering the inputs ---------------------------------------------------------------------


def _recently_drawn(committee_id: int, reference: datetime.date, months: int) -> dict[int, int]:
    """unit id → the latest draw (of the committee, created within `months` months up to the
    reference date) that drew it."""
    if months <= 0:
        return {}
    start = months_before(reference, months)
    found: dict[int, int] = {}
    rows = (
        SpotCheckDraw.objects.filter(
            committee_id=committee_id,
            created_at__date__gte=start,
            created_at__date__lte=reference,
        )
        .order_by("created_at", "pk")
        .values_list("pk", "result")
    )
    for pk, result in rows:
        for unit_id in (result or {}).get("units", []):
            found[int(unit_id)] = pk  # later draws overwrite earlier ones
    return found


def gather_inputs(
    *,
    campaign: Campaign,
    units: int,
    inspectors: int,
    stratify_by: str,
    exclude_months: int,
    mode: str,
    reference: datetime.date,
) -> dict[str, Any]:
    """Everything the draw depends on, read from the database once."""
    rows = (
        Enrollment.objects.filter(campaign=campaign, unit__is_active=True)
        .exclude(state=EnrollmentState.WITHDRAWN)  # a withdrawn unit did not take part
        .order_by("unit_id")
        .values_list("unit_id", "unit__category", "result__grade")
    )
    recent = _recently_drawn(campaign.committee_id, reference, exclude_months)
    candidates: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    for unit_id, category, grade in rows:
        if unit_id in recent:
            excluded.append({"id": unit_id, "reason": "checked_recently", "draw": recent[unit_id]})
            continue
        if stratify_by == "category":
            stratum = category
        elif stratify_by == "score_band":
            stratum = grade or UNRATED
        else:
            stratum = ""
        candidates.append({"id": unit_id, "stratum": stratum})
    pool = reviewer_pool(campaign)
    homes = home_units([u.pk for u in pool])
    return {
        "algorithm": ALGORITHM,
        "committee": campaign.committee_id,
        "campaign": campaign.pk,
        "reference_date": reference.isoformat(),
        "exclude_months": exclude_months,
        "stratify_by": stratify_by,
        "units": units,
        "inspectors": inspectors,
        "mode": mode,
        "candidates": candidates,
        "excluded": excluded,
        "pool": [
            {"id": u.pk, "home_units": sorted(homes[u.pk])}
            for u in sorted(pool, key=lambda u: u.pk)
        ],
    }


# --- writes -----------------------------------------------------------------------------------


def _check_params(
    *,
    units: int,
    inspectors: int,
    seed: str | None,
    stratify_by: str,
    exclude_months: int,
    mode: str,
) -> None:
    if units < 1:
        raise ValidationError(_("抽取单位数至少为 1。"))
    if inspectors < 1:
        raise ValidationError(_("抽取检查人员数至少为 1。"))
    if stratify_by not in STRATIFY_CHOICES:
        raise ValidationError(_("分层方式无效：应为不分层、按单位类别或按考评等次。"))
    if not 0 <= exclude_months <= MAX_EXCLUDE_MONTHS:
        raise ValidationError(
            _("排除近期已抽查单位的月数应在 0 到 %(n)d 之间。") % {"n": MAX_EXCLUDE_MONTHS}
        )
    if mode not in VisitMode.values:
        raise ValidationError(_("检查方式无效。"))
    if seed is not None and not SEED_PATTERN.match(seed):
        raise ValidationError(_("随机种子只能由 1 到 64 个英文字母、数字、下划线或连字符组成。"))


@transaction.atomic
def spot_check_draw_record(
    *,
    campaign: Campaign,
    units: int,
    inspectors: int,
    actor: Actor | None,
    seed: str | None = None,
    stratify_by: str = "",
    exclude_months: int = 0,
    mode: str = VisitMode.UNANNOUNCED,
    title: str = "",
    today: datetime.date | None = None,
) -> SpotCheckDraw:
    """Draw `units` units of the campaign and `inspectors` inspectors from the committee's pool,
    and record the draw (audited). `actor=None` is the system (the command without --actor);
    otherwise the actor must be the campaign's committee admin. `today` is the reference date
    for the exclusion of recently checked units (default: today)."""
    if actor is not None:
        require_committee_admin(
            actor, campaign.committee_id, _("只有本工委管理员可以组织随机抽查。")
        )
    seed = seed.strip() if seed else None
    params: dict[str, Any] = {
        "units": units,
        "inspectors": inspectors,
        "stratify_by": stratify_by,
        "exclude_months": exclude_months,
        "mode": mode,
    }
    _check_params(seed=seed, **params)
    inputs = gather_inputs(campaign=campaign, reference=today_or(today), **params)
    seed = seed or draws.make_seed()
    try:
        result = derive(inputs, seed)
    except draws.DrawError as exc:
        raise ValidationError(_pool_message(str(exc), inputs)) from exc
    user = actor.user if actor else None
    draw = SpotCheckDraw.objects.create(
        committee_id=campaign.committee_id,
        campaign=campaign,
        title=title.strip()[:200],
        seed=seed,
        inputs=inputs,
        result=result,
        created_by=user,
    )
    _audit_draw(draw, user)
    _notify_draw(draw)
    return draw


def _audit_draw(draw: SpotCheckDraw, user: User | None) -> None:
    inputs, result = draw.inputs, draw.result
    audit_record(
        action="spotcheck.draw",
        actor=user,
        actor_name="" if user else "system",
        target=draw,
        committee_id=draw.committee_id,
        after={
            "campaign": draw.campaign_id,
            "seed": draw.seed,
            "algorithm": ALGORITHM,
            "reference_date": inputs["reference_date"],
            "stratify_by": inputs["stratify_by"],
            "exclude_months": inputs["exclude_months"],
            "mode": inputs["mode"],
            "candidates": len(inputs["candidates"]),
            "excluded": [e["id"] for e in inputs["excluded"]],
            "units": result["units"],
            "inspectors": result["inspectors"],
        },
    )


def _notify_draw(draw: SpotCheckDraw) -> None:
    """The inspectors drawn are told; the units drawn only when the visits are announced."""
    url = reverse("supervision:spotcheck_detail", args=[draw.pk])
    notify(
        recipients=User.objects.filter(pk__in=draw.result["inspectors"]),
        kind="spotcheck.inspector",
        title=_("您被抽取为随机抽查检查人员：%(t)s") % {"t": str(draw)},
        body=_("请按抽查名单开展检查并记录检查情况。暗访的，不得事先通知被检查单位。"),
        url=url,
        key=f"spotcheck:{draw.pk}:inspector",
    )
    if draw.inputs["mode"] == VisitMode.ANNOUNCED:
        for unit_id in draw.result["units"]:
            notify(
                recipients=unit_people(unit_id),
                kind="spotcheck.unit",
                title=_("本单位被随机抽中接受检查：%(t)s") % {"t": str(draw)},
                body=_("检查人员将按通知到本单位检查，无需另行准备材料。"),
                url=url,
                key=f"spotcheck:{draw.pk}:unit:{unit_id}",
            )


def _pool_message(message: str, inputs: dict[str, Any]) -> str:
    """The draw functions' message, with what the committee can do about it."""
    if "检查人员" in message or "评审库" in message:
        return message + _(
            "（检查人员库为本工委评审员，共 %(n)d 名；请增加评审员或减少抽取人数。）"
        ) % {"n": len(inputs["pool"])}
    if inputs["excluded"]:
        return message + _("（已排除近 %(k)d 个月内抽查过的 %(n)d 个单位。）") % {
            "k": inputs["exclude_months"],
            "n": len(inputs["excluded"]),
        }
    return message
