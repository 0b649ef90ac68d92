"""One secretary's page and the panel's rating page.

- The appraisal page: the unit's 联络员 or 单位领导 submit the report (text, way, files of
  their own library) and correct who the secretary is; the committee's staff read it, and its
  admin returns it with a reason or enters the paper-ballot tallies.
- The rating page: a panel member sees the submitted reports of a round and rates each
  secretary once (changed freely until the round closes), seeing only their own ratings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules as access
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.appraisals import selectors, services
from mofan.appraisals.forms import BallotsForm, RatingForm, ReportForm, ReturnForm, SecretaryForm
from mofan.appraisals.models import Appraisal, AppraisalRound, AppraisalState, Level, RoundState
from mofan.appraisals.services import PANEL_ROLES
from mofan.appraisals.views import attempt
from mofan.core.params import parse_id
from mofan.core.refusals import flash_write
from mofan.evidence.models import Evidence
from mofan.organizations.choosers import roster_people

WRITABLE = (AppraisalState.PENDING, AppraisalState.RETURNED)
OPEN_ROUND = (RoundState.REPORTING, RoundState.RATING)


def _report_form(request: HttpRequest, appraisal: Appraisal) -> ReportForm | None:
    """The report form for the unit's own people while it may be (re)submitted."""
    actor = actor_of(request)
    if not access.reads_unit(actor, appraisal.unit_id):
        return None
    if appraisal.state not in WRITABLE or appraisal.round.state not in OPEN_ROUND:
        return None
    files = Evidence.objects.filter(unit_id=appraisal.unit_id).order_by("-uploaded_at")
    initial = {
        "report": appraisal.report,
        "way": appraisal.way,
        "evidence": list(appraisal.evidence.values_list("pk", flat=True)),
    }
    data = request.POST if request.method == "POST" else None
    return ReportForm(data, files=files, initial=initial)


@role_required(*COMMITTEE_STAFF, *UNIT_READERS)
def appraisal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    appraisal = get_object_or_404(selectors.appraisals_for(actor), pk=pk)
    form = _report_form(request, appraisal)
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            done = attempt(
                form,
                lambda: services.appraisal_transition(
                    appraisal=appraisal,
                    action="submit",
                    actor=actor,
                    report=data["report"],
                    way=data["way"],
                    evidence_ids=[e.pk for e in data["evidence"]],
                ),
            )
            if done is not None:
                messages.success(request, _("述职报告已提交。"))
                return redirect("appraisals:appraisal_detail", appraisal.pk)
    manages = access.administers(actor, appraisal.round.committee_id)
    open_round = appraisal.round.state in OPEN_ROUND
    secretary_form = None
    if open_round and appraisal.state in WRITABLE and (manages or form is not None):
        secretary_form = SecretaryForm(
            people=roster_people(actor, appraisal.unit_id), unit_id=appraisal.unit_id
        )
    ballots_form = None
    rating = appraisal.round.state == RoundState.RATING
    if manages and rating and appraisal.state == AppraisalState.SUBMITTED:
        ballots_form = BallotsForm(initial=dict(appraisal.ballots()))
    return render(
        request,
        "appraisals/appraisal_detail.html",
        {
            "appraisal": appraisal,
            "round": appraisal.round,
            "form": form,
            "files": appraisal.evidence.order_by("-uploaded_at"),
            "secretary_form": secretary_form,
            "return_form": ReturnForm()
            if manages and open_round and appraisal.state == AppraisalState.SUBMITTED
            else None,
            "ballots_form": ballots_form,
            "staff": access.is_staff_of(actor, appraisal.round.committee_id),
            "row": selectors.round_rows(appraisal.round, [appraisal])[0],
            "levels": Level.choices,
        },
    )


@require_POST
@role_required(*COMMITTEE_STAFF, *UNIT_READERS)
def appraisal_secretary(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    appraisal = get_object_or_404(selectors.appraisals_for(actor), pk=pk)
    form = SecretaryForm(
        request.POST, people=roster_people(actor, appraisal.unit_id), unit_id=appraisal.unit_id
    )
    if form.is_valid():
        flash_write(
            request,
            lambda: services.appraisal_secretary_set(
                appraisal=appraisal, member=form.cleaned_data["member"], actor=actor
            ),
            _("述职人已更新。"),
        )
    else:
        flash_write(request, lambda: _refuse(_("请从本单位成员名册中选择述职人。")))
    return redirect("appraisals:appraisal_detail", appraisal.pk)


def _refuse(text: str) -> None:
    raise ValidationError(text)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def appraisal_return(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    appraisal = get_object_or_404(selectors.appraisals_managed_by(actor), pk=pk)
    form = ReturnForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    flash_write(
        request,
        lambda: services.appraisal_transition(
            appraisal=appraisal, action="return", actor=actor, reason=reason
        ),
        _("述职报告已退回。"),
    )
    return redirect("appraisals:appraisal_detail", appraisal.pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def appraisal_ballots(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    appraisal = get_object_or_404(selectors.appraisals_managed_by(actor), pk=pk)
    form = BallotsForm(request.POST)
    if form.is_valid():
        flash_write(
            request,
            lambda: services.ballots_record(appraisal=appraisal, counts=form.counts(), actor=actor),
            _("评议票数已保存。"),
        )
    else:
        flash_write(request, lambda: _refuse(_("票数须为0至10000之间的整数。")))
    return redirect("appraisals:appraisal_detail", appraisal.pk)


@role_required(*PANEL_ROLES)
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    """A panel member's page: one row per submitted report, the level buttons, their own
    rating marked. POST rates one secretary (`appraisal`, `level`)."""
    actor = actor_of(request)
    round: AppraisalRound = get_object_or_404(selectors.panel_rounds_for(actor), pk=pk)
    appraisals = selectors.panel_appraisals(actor, round)
    if request.method == "POST":
        form = RatingForm(request.POST)
        appraisal = appraisals.filter(pk=parse_id(request.POST.get("appraisal")) or 0).first()
        if appraisal is None:
            raise Http404
        if form.is_valid():
            flash_write(
                request,
                lambda: services.rating_cast(
                    appraisal=appraisal, level=form.cleaned_data["level"], actor=actor
                ),
                _("已评议：%(name)s") % {"name": appraisal.secretary_name or appraisal.unit.name},
            )
        else:
            flash_write(request, lambda: _refuse(_("请选择评议等次。")))
        return redirect(f"{request.path}#a{appraisal.pk}")
    mine = selectors.own_ratings(actor, round)
    return render(
        request,
        "appraisals/rate.html",
        {
            "round": round,
            "rows": [(a, mine.get(a.pk, "")) for a in appraisals],
            "levels": Level.choices,
            "open": round.state == RoundState.RATING,
            "done": len(mine),
        },
    )
