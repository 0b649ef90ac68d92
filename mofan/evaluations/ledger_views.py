"""The ledger figures (取数) on the self-evaluation and scoring pages: each leaf's computed
figures in words, the input they suggest (prefilled while the leaf is unscored), the reason a
saved input departs from it (`OVERRIDE`), the drill-down to the records behind a figure, and
the "重新取数" action."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts.access import actor_of
from mofan.accounts.roles import UNIT_READERS
from mofan.activities.models import ActivityRecord
from mofan.activities.selectors import reads_ledger
from mofan.campaigns.models import Enrollment
from mofan.core.redirects import safe_next
from mofan.evaluations import selectors as scope
from mofan.evaluations.ledger_figures import (
    OVERRIDE,
    departs,
    figures_of,
    ledger_figures_recompute,
    may_refresh,
    suggestion,
)
from mofan.evaluations.models import LedgerFigures
from mofan.indicators.methods import fmt
from mofan.indicators.models import IndicatorNode

PERIOD_WORDS = {"year": "每年", "half": "每半年", "quarter": "每季度", "five_years": "五年内"}
SUBJECT_WORDS = {"member": "党员", "leader": "班子成员", "cadre": "领导干部", "branch": "党支部"}
REASON_MAX = 500


def _percent(value: str) -> str:
    return fmt((Decimal(value) * 100).quantize(Decimal("0.1")))


def present(figure: Mapping[str, Any]) -> dict[str, Any]:
    """One figure in words, as the pages show it."""
    threshold = Decimal(figure["threshold"])
    period = _(PERIOD_WORDS.get(figure["period"], "每年"))
    subject = _(SUBJECT_WORDS.get(figure["subject"], "单位"))
    if figure["measure"] == "hours_ratio":
        rule = _("政治理论学时占比不低于 %(t)s%%") % {"t": _percent(figure["threshold"])}
    elif figure["measure"] == "per_person":
        rule = _("每名%(s)s%(p)s不少于 %(t)s 次") % {"s": subject, "p": period, "t": fmt(threshold)}
    elif figure["subject"] == "branch":
        rule = _("每个党支部%(p)s不少于 %(t)s 次") % {"p": period, "t": fmt(threshold)}
    else:
        rule = _("%(p)s不少于 %(t)s 次") % {"p": period, "t": fmt(threshold)}
    if figure["period"] == "five_years" and figure.get("window"):
        rule += _("（%(a)s 至 %(b)s）") % {"a": figure["window"][0], "b": figure["window"][1]}
    if figure["value"] is None:
        result = _(
            "暂无可计算的数据（名册中没有对应人员、没有党支部或没有学时记录），请按实际填写。"
        )
    elif figure["measure"] == "hours_ratio":
        result = _("实际 %(v)s%%") % {"v": _percent(figure["value"])}
    elif figure["measure"] == "per_person":
        result = _("%(j)d 人中 %(p)d 人达到") % {"j": figure["judged"], "p": figure["passed"]}
    else:
        result = _("%(j)d 个考核期次中 %(p)d 个达到") % {
            "j": figure["judged"],
            "p": figure["passed"],
        }
    short = [
        _("%(who)s（%(start)s 起：%(found)d/%(need)d）")
        % {"who": who or _("本单位"), "start": start, "found": found, "need": need}
        for who, start, found, need in figure["short"]
    ]
    return {
        "label": figure["label"],
        "rule": rule,
        "result": result,
        "met": figure["met"],
        "applies": figure["value"] is not None,
        "records": len(figure["records"]),
        "short": short,
        "more_short": max(0, figure.get("short_count", 0) - len(short)),
        "unmatched": figure.get("unmatched", []),
        "score": fmt(Decimal(figure["score"])) if figure.get("score") is not None else None,
    }


def suggested_text(node: IndicatorNode, suggested: Mapping[str, Any] | None) -> str:
    if not suggested:
        return ""
    if "band" in suggested:
        return _("等次“%(b)s”") % {"b": suggested["band"]}
    if "level" in suggested:
        return _("评价“%(l)s”") % {"l": suggested["level"]}
    return str(suggested.get("value", ""))


class LeafLedger:
    """The figures of one enrollment's leaves, read once per page."""

    def __init__(self, enrollment: Enrollment) -> None:
        self.enrollment = enrollment
        row = (
            LedgerFigures.objects.filter(enrollment=enrollment)
            .only("figures", "computed_at")
            .first()
        )
        self.figures = {int(k): v for k, v in row.figures.items()} if row else {}
        self.computed_at: datetime.datetime | None = (
            row.computed_at if row is not None and self.figures else None
        )

    def suggested(self, node: IndicatorNode) -> dict[str, Any] | None:
        return suggestion(node.method or {}, node.points, self.figures.get(node.pk, []))

    def for_row(self, node: IndicatorNode, saved: Mapping[str, Any] | None) -> dict[str, Any]:
        """What a leaf's row shows of the ledger: the figures, the suggestion (and whether the
        form shows it prefilled), the override reason of the saved input."""
        figures = self.figures.get(node.pk, [])
        suggested = self.suggested(node)
        return {
            "figures": [present(f) for f in figures],
            "suggested": suggested,
            "suggested_text": suggested_text(node, suggested),
            "prefilled": bool(suggested) and not saved,
            "override": (saved or {}).get(OVERRIDE, ""),
            "records": len({r for f in figures for r in f["records"]}),
        }


def with_override(
    node: IndicatorNode,
    enrollment: Enrollment,
    value: dict[str, Any],
    data: Mapping[str, Any],
    *,
    ledger: LeafLedger | None = None,
) -> dict[str, Any]:
    """The input to save: when it departs from what the ledger suggests, it carries the reason
    typed beside it; a departure without a reason is refused (ValidationError). `ledger`: the
    enrollment's figures when the caller has read them already."""
    value = {k: v for k, v in value.items() if k != OVERRIDE}
    figures = ledger.figures if ledger is not None else figures_of(enrollment)
    suggested = suggestion(node.method or {}, node.points, figures.get(node.pk, []))
    if not departs(value, suggested):
        return value
    reason = str(data.get(OVERRIDE, "")).strip()[:REASON_MAX]
    if not reason:
        raise ValidationError(
            _("与台账取数的结果（%(s)s）不同，请填写调整理由。")
            % {"s": suggested_text(node, suggested)}
        )
    return {**value, OVERRIDE: reason}


# --- the drill-down and 重新取数 ------------------------------------------------------------


def _records(enrollment: Enrollment, ids: Sequence[int]) -> list[ActivityRecord]:
    return list(
        ActivityRecord.objects.filter(pk__in=list(ids), unit_id=enrollment.unit_id)
        .select_related("kind", "party_org")
        .order_by("held_on", "pk")
    )


@login_required
def ledger_figure(request: HttpRequest, pk: int, node_pk: int) -> HttpResponse:
    """The records behind a leaf's figures: for the unit, its committee and its reviewers."""
    actor = actor_of(request)
    enrollment = get_object_or_404(
        scope.enrollments_for(actor).select_related("campaign", "unit"), pk=pk
    )
    node = get_object_or_404(
        IndicatorNode, pk=node_pk, version_id=enrollment.campaign.indicator_version_id
    )
    ledger = LeafLedger(enrollment)
    figures = ledger.figures.get(node.pk, [])
    records = _records(enrollment, sorted({r for f in figures for r in f["records"]}))
    row = (
        LedgerFigures.objects.filter(enrollment=enrollment)
        .only("period_start", "period_end")
        .first()
    )
    return render(
        request,
        "evaluations/ledger_figure.html",
        {
            "enrollment": enrollment,
            "node": node,
            "figures": [present(f) for f in figures],
            "records": records,
            "period": row,
            "computed_at": ledger.computed_at,
            "may_refresh": _may_refresh(actor, enrollment),
            "back": _back(actor, enrollment, node),
            "opens_records": reads_ledger(actor),
        },
    )


def _back(actor: Any, enrollment: Enrollment, node: IndicatorNode) -> str:
    """Where the reader came from: the unit's self-evaluation, the reviewer's scoring page or
    the committee's trace of the unit."""
    anchor = f"#leaf-{node.code}"
    if enrollment.unit_id in actor.units_with(*UNIT_READERS):
        return reverse("reviews:self", args=[enrollment.pk]) + anchor
    assignment = scope.assignments_for_reviewer(actor).filter(enrollment=enrollment).first()
    if assignment is not None:
        return reverse("reviews:scoring", args=[assignment.pk]) + anchor
    return reverse("reviews:trace", args=[enrollment.pk])


def _may_refresh(actor: Any, enrollment: Enrollment) -> bool:
    return may_refresh(actor, enrollment)


@require_POST
@login_required
def ledger_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    """重新取数: the unit's figures computed again now (the unit's 联络员 or 单位领导, or the
    committee's staff)."""
    actor = actor_of(request)
    enrollment = get_object_or_404(
        scope.enrollments_for(actor).select_related("campaign", "unit"), pk=pk
    )
    ledger_figures_recompute(enrollment=enrollment, actor=actor)
    messages.success(request, _("已按活动台账重新取数。"))
    return redirect(
        safe_next(request, request.POST.get("next"), reverse("reviews:self", args=[pk]))
    )
