"""The questionnaire builder (committee staff read, the committee admin edits a draft)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules
from mofan.accounts.access import Actor, actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, Role
from mofan.core.refusals import refusal_text
from mofan.organizations.models import Committee
from mofan.surveys import selectors, services
from mofan.surveys.forms import QuestionEditForm, QuestionForm, SectionForm, TemplateForm
from mofan.surveys.models import Question, Questionnaire, QuestionnaireState


def admin_committee(request: HttpRequest) -> Committee:
    ids = actor_of(request).committees_with(Role.COMMITTEE_ADMIN)
    committee = Committee.objects.filter(pk__in=ids).order_by("pk").first()
    if committee is None:
        raise PermissionDenied
    return committee


@role_required(*COMMITTEE_STAFF)
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = TemplateForm(request.POST or None)
    if request.method == "POST":
        committee = admin_committee(request)
        if form.is_valid():
            q = services.questionnaire_create(
                committee=committee, template=form.cleaned_data["template"], actor=actor
            )
            return redirect("surveys:questionnaire_detail", q.pk)
    return render(
        request,
        "surveys/questionnaire_list.html",
        {
            "questionnaires": selectors.questionnaires_for(actor),
            "form": form,
            "can_create": rules.is_committee_admin(actor),
        },
    )


def _builder(
    request: HttpRequest,
    q: Questionnaire,
    section_form: SectionForm | None = None,
    question_form: QuestionForm | None = None,
    error: str = "",
) -> HttpResponse:
    actor = actor_of(request)
    editable = q.state == QuestionnaireState.DRAFT and rules.administers(actor, q.committee_id)
    for form in (section_form, question_form):
        if form is not None and not error and not editable:  # the form itself is not shown
            error = "；".join(str(e) for e in form.non_field_errors())
    return render(
        request,
        "surveys/questionnaire_detail.html",
        {
            "questionnaire": q,
            "sections": q.sections.prefetch_related("questions"),
            "editable": editable,
            "section_form": section_form or SectionForm(),
            "question_form": question_form or QuestionForm(questionnaire=q),
            "error": error,
        },
        status=400 if error or section_form or question_form else 200,
    )


@role_required(*COMMITTEE_STAFF)
def questionnaire_detail(request: HttpRequest, pk: int) -> HttpResponse:
    q = get_object_or_404(selectors.questionnaires_for(actor_of(request)), pk=pk)
    return _builder(request, q)


def _managed(request: HttpRequest, pk: int) -> Questionnaire:
    actor = actor_of(request)
    q = get_object_or_404(selectors.questionnaires_for(actor), pk=pk)
    if not rules.administers(actor, q.committee_id):
        raise PermissionDenied
    return q


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def section_add(request: HttpRequest, pk: int) -> HttpResponse:
    q = _managed(request, pk)
    form = SectionForm(request.POST)
    if form.is_valid():
        try:
            services.section_add(
                questionnaire=q, title=form.cleaned_data["title"], actor=actor_of(request)
            )
            return redirect("surveys:questionnaire_detail", q.pk)
        except ValidationError as exc:
            form.add_error(None, refusal_text(exc))
    return _builder(request, q, section_form=form)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    q = _managed(request, pk)
    form = QuestionForm(request.POST, questionnaire=q)
    if form.is_valid():
        try:
            services.question_add(**form.values(), actor=actor_of(request))
            return redirect("surveys:questionnaire_detail", q.pk)
        except ValidationError as exc:
            form.add_error(None, refusal_text(exc))
    return _builder(request, q, question_form=form)


def _question_or_404(actor: Actor, pk: int) -> Question:
    """A question of a questionnaire the actor reads, with its section and questionnaire."""
    return get_object_or_404(
        Question.objects.select_related("section__questionnaire"),
        pk=pk,
        section__questionnaire__in=selectors.questionnaires_for(actor),
    )


@role_required(Role.COMMITTEE_ADMIN)
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft's question: its text, options, satisfied options and required flag."""
    actor = actor_of(request)
    question = _question_or_404(actor, pk)
    q = question.section.questionnaire
    if not rules.administers(actor, q.committee_id):
        raise PermissionDenied
    initial = {
        "text": question.text,
        "options": "\n".join(question.options),
        "satisfied": "\n".join(question.satisfied),
        "required": question.required,
    }
    form = QuestionEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(question=question, **form.values(), actor=actor)
            return redirect("surveys:questionnaire_detail", q.pk)
        except ValidationError as exc:
            form.add_error(None, refusal_text(exc))
    return render(
        request,
        "form_page.html",
        {
            "title": q.title,
            "heading": _("修改题目"),
            "intro": _("题型：%(kind)s。改题型请删除后重新添加。")
            % {"kind": question.get_kind_display()},
            "form": form,
            "submit": _("保存"),
            "novalidate": True,
        },
    )


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    question = _question_or_404(actor, pk)
    q = question.section.questionnaire
    try:
        services.question_delete(question=question, actor=actor)
    except ValidationError as exc:
        return _builder(request, q, error=refusal_text(exc))
    return redirect("surveys:questionnaire_detail", q.pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def questionnaire_publish(request: HttpRequest, pk: int) -> HttpResponse:
    q = _managed(request, pk)
    try:
        services.questionnaire_transition(
            questionnaire=q, action="publish", actor=actor_of(request)
        )
    except ValidationError as exc:
        return _builder(request, q, error=refusal_text(exc))
    messages.success(request, _("问卷已发布，可以开展测评。"))
    return redirect("surveys:questionnaire_detail", q.pk)
