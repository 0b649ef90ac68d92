"""The auditor's view of the trail: filters by actor, action, result and date; chain check.
Under /audit/ (URL namespace `audit`), but here: the pages are scoped by role (accounts)."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from mofan.accounts import selectors_audit as selectors
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.audit.models import AuditResult
from mofan.audit.services import audit_verify


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("操作人"), required=False)
    action = forms.CharField(
        label=_("操作"),
        required=False,
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
        help_text=_("从列表中选择，或输入操作名称的开头"),
    )
    result = forms.ChoiceField(
        label=_("结果"), required=False, choices=[("", _("全部")), *AuditResult.choices]
    )
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@role_required(Role.AUDITOR)
def entry_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    entries = selectors.entries_for(request.actor)  # type: ignore[attr-defined]
    if form.is_valid():
        data = form.cleaned_data
        entries = selectors.filter_entries(
            entries,
            actor_name=data["actor"],
            action=data["action"],
            result=data["result"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "audit/entry_list.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#entries"
    context = {
        "form": form,
        "page": page,
        "rows": selectors.trail_rows(page),
        "actions": selectors.action_choices(),
        "filtered": form.is_bound and any(form.data.get(f) for f in form.fields),
        "query": query.urlencode(),
    }
    return render(request, template, context)


@role_required(Role.AUDITOR)
def verify(request: HttpRequest) -> HttpResponse:
    result = audit_verify()
    return render(request, "audit/verify.html", {"result": result})
