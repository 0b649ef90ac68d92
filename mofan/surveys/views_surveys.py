"""Survey pages: the list, opening a survey, a survey's page (per-unit responses and figures,
free text within the threshold), one-time links and posters, a free text to the problem list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.core.refusals import refusal_text
from mofan.surveys import poster, selectors, services
from mofan.surveys.forms import ProblemForm, SurveyOpenForm, TokensForm
from mofan.surveys.models import SurveyUnit
from mofan.surveys.views import admin_committee


@role_required(*selectors.READERS)
def survey_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return render(
        request,
        "surveys/survey_list.html",
        {
            "surveys": selectors.surveys_for(actor),
            "is_staff": rules.is_committee_staff(actor),
            "can_open": rules.is_committee_admin(actor),
        },
    )


@role_required(Role.COMMITTEE_ADMIN)
def survey_open(request: HttpRequest) -> HttpResponse:
    committee = admin_committee(request)
    form = SurveyOpenForm(request.POST or None, committee_id=committee.pk)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_open(**form.cleaned_data, actor=actor_of(request))
            return redirect("surveys:survey_detail", survey.pk)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, refusal_text(exc))
    return render(
        request,
        "form_page.html",
        {
            "title": _("满意度测评"),
            "heading": _("开展满意度测评"),
            "intro": _("选择已发布的问卷和创建活动；参加活动的每个单位都会得到扫码链接。"),
            "form": form,
            "submit": _("开展测评"),
        },
    )


@role_required(*selectors.READERS)
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    survey = get_object_or_404(selectors.surveys_for(actor), pk=pk)
    figures = selectors.unit_figures(actor, survey)
    return render(
        request,
        "surveys/survey_detail.html",
        {
            "survey": survey,
            "figures": figures,
            "texts": selectors.free_texts(actor, survey),
            "manages": rules.administers(actor, survey.committee_id),
            "tokens_form": TokensForm(),
            "problem_form": ProblemForm(),
            "threshold": selectors.min_responses(),
        },
    )


def _managed_unit(request: HttpRequest, pk: int) -> SurveyUnit:
    actor = actor_of(request)
    su = get_object_or_404(
        SurveyUnit.objects.select_related("survey", "unit"),
        pk=pk,
        survey__in=selectors.surveys_for(actor),
    )
    if not rules.administers(actor, su.survey.committee_id):
        raise PermissionDenied
    return su


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def tokens_issue(request: HttpRequest, pk: int) -> HttpResponse:
    su = _managed_unit(request, pk)
    form = TokensForm(request.POST)
    if form.is_valid():
        services.tokens_issue(
            survey_unit=su, count=form.cleaned_data["count"], actor=actor_of(request)
        )
        messages.success(request, _("已为%(unit)s生成一次性链接。") % {"unit": su.unit.name})
    else:
        messages.error(request, _("每次可生成1到500个链接。"))
    return redirect("surveys:survey_detail", su.survey_id)


@role_required(Role.COMMITTEE_ADMIN)
def tokens_download(request: HttpRequest, pk: int) -> HttpResponse:
    su = _managed_unit(request, pk)
    urls = [
        (request.build_absolute_uri(reverse("survey_token", args=[t.key])), t.used)
        for t in su.tokens.order_by("pk")
    ]
    content = poster.links_xlsx(title=su.survey.title, unit_name=su.unit.name, urls=urls)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="survey-{su.pk}-links.xlsx"'
    return response


@role_required(Role.COMMITTEE_ADMIN)
def poster_download(request: HttpRequest, pk: int) -> HttpResponse:
    su = _managed_unit(request, pk)
    survey = su.survey
    content = poster.poster_pdf(
        title=survey.title,
        unit_name=su.unit.name,
        url=request.build_absolute_uri(reverse("survey_code", args=[su.code])),
        period=f"{survey.starts_on:%Y-%m-%d} — {survey.ends_on:%Y-%m-%d}",
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="survey-{su.pk}-poster.pdf"'
    return response


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def answer_problem(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    answer = get_object_or_404(
        selectors.answers_managed_by(actor).select_related("response__survey", "response__unit"),
        pk=pk,
    )
    form = ProblemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的整改期限。"))
    else:
        try:
            services.answer_to_problem(
                answer=answer, deadline=form.cleaned_data["deadline"], actor=actor
            )
            messages.success(request, _("已列入该单位的问题清单（群众提）。"))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, refusal_text(exc))
    return redirect("surveys:survey_detail", answer.response.survey_id)
