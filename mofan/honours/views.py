"""Programme pages: the list, creating and editing a draft, a programme's page (its nominations
and, for the committee, the selection as the rules give it) and its state changes.

Every programme is fetched through a scoped selector, so anything outside the actor's scope is a
404; the services check again who may write."""

from __future__ import annotations

import io
from typing import cast

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules as access
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.core.extensions import sections_of
from mofan.core.params import parse_id
from mofan.core.refusals import flash_write
from mofan.honours import selectors, services
from mofan.honours.forms import ProgrammeForm, TieForm, TransitionForm
from mofan.honours.models import HonourProgramme, ProgrammeState
from mofan.honours.nominations import tie_decide as decide
from mofan.honours.register import register_export
from mofan.honours.selectors import READERS
from mofan.organizations.models import Committee
from mofan.organizations.selectors import committee_administered_by
from mofan.supervision.views_common import attempt


def _admin_committee(request: HttpRequest) -> Committee:
    return committee_administered_by(actor_of(request))


@role_required(*READERS)
def programme_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    shown = selectors.programmes_for(actor) | selectors.publicity_programmes_for(actor)
    committee_ids = selectors.register_committees(actor)
    return render(
        request,
        "honours/programme_list.html",
        {
            "programmes": shown.distinct().order_by("-year", "-pk"),
            "can_create": access.is_committee_admin(actor),
            "is_staff": actor.is_committee_staff,
            "register_committees": Committee.objects.filter(pk__in=committee_ids).order_by("pk"),
            "register_years": selectors.register_years(committee_ids),
        },
    )


@role_required(*COMMITTEE_STAFF, *UNIT_READERS)
def register(request: HttpRequest) -> HttpResponse:
    """The honours register of a committee and a year as xlsx: the whole committee's for its
    staff, the actor's own units' rows for a unit's 联络员 or 单位领导; another committee is a
    404."""
    actor = actor_of(request)
    committee_ids = selectors.register_committees(actor)
    committee_id = parse_id(request.GET.get("committee")) or min(committee_ids, default=None)
    year = parse_id(request.GET.get("year"))
    if committee_id not in committee_ids or year is None or not 1900 < year < 3000:
        raise Http404
    committee = get_object_or_404(Committee, pk=committee_id)
    title, content = register_export(actor=actor, committee=committee, year=year)
    response = FileResponse(io.BytesIO(content), as_attachment=True, filename=f"{title}.xlsx")
    return cast(HttpResponse, response)


def _programme_form(request: HttpRequest, programme: HonourProgramme | None) -> HttpResponse:
    actor = actor_of(request)
    committee = _admin_committee(request) if programme is None else programme.committee
    form = ProgrammeForm(request.POST or None, instance=programme, committee_id=committee.pk)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.fields}
        if programme is None:
            done = attempt(
                form,
                lambda: services.programme_create(committee=committee, values=values, actor=actor),
            )
        else:
            done = attempt(
                form,
                lambda: services.programme_update(programme=programme, values=values, actor=actor),
            )
        if done is not None:
            return redirect("honours:programme_detail", done.pk)
    return render(
        request,
        "form_page.html",
        {
            "title": _("评选项目"),
            "heading": _("新建评选项目") if programme is None else _("修改评选项目"),
            "intro": _("评选对象的资格按所选依据从记录中判定；名额可为个数或推荐总数的比例。"),
            "form": form,
            "submit": _("保存"),
        },
    )


@role_required(Role.COMMITTEE_ADMIN)
def programme_create(request: HttpRequest) -> HttpResponse:
    return _programme_form(request, None)


@role_required(Role.COMMITTEE_ADMIN)
def programme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    programme = get_object_or_404(
        selectors.programmes_managed_by(actor_of(request)), pk=pk, state=ProgrammeState.DRAFT
    )
    return _programme_form(request, programme)


@role_required(*READERS)
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    programme = get_object_or_404(selectors.programmes_for(actor), pk=pk)
    manages = access.administers(actor, programme.committee_id)
    staff = access.is_staff_of(actor, programme.committee_id)
    nominations = selectors.nominations_for(actor).filter(programme=programme)
    if not staff:
        nominations = nominations.filter(
            unit_id__in=actor.units_with(Role.UNIT_ADMIN, Role.UNIT_LEADER)
        )
    context = {
        "programme": programme,
        "nominations": nominations.prefetch_related("vetoes", "objections"),
        "staff": staff,
        "manages": manages,
        "units": [],
        # what higher apps add (reports: the naming notice of a named programme)
        "sections": sections_of("honours.programme", actor=actor, programme=programme),
    }
    if programme.state == ProgrammeState.NOMINATING:
        context["units"] = [
            (unit, services.nominations_left(programme, unit))
            for unit in selectors.nominating_units(actor, programme)
        ]
    if staff and programme.state == ProgrammeState.REVIEWING:
        selection = services.selection_of(programme)
        names = dict(programme.nominations.values_list("pk", "candidate_name"))
        context["selection"] = selection
        context["named_names"] = [names[i] for i in selection.named]
        if selection.tied and manages:
            context["tie_form"] = TieForm(tied=[(i, names[i]) for i in selection.tied])
    return render(request, "honours/programme_detail.html", context)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def programme_transition(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    programme = get_object_or_404(selectors.programmes_managed_by(actor), pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return redirect("honours:programme_detail", programme.pk)
    data = form.cleaned_data
    flash_write(
        request,
        lambda: services.programme_transition(
            programme=programme,
            action=data["action"],
            actor=actor,
            document_number=data["document_number"],
            reason=data["reason"],
        ),
        lambda p: _("评选状态已更新为：%(state)s") % {"state": p.get_state_display()},
    )
    return redirect("honours:programme_detail", programme.pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def tie_decide(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    programme = get_object_or_404(selectors.programmes_managed_by(actor), pk=pk)
    chosen = [int(v) for v in request.POST.getlist("chosen") if v.isascii() and v.isdigit()]
    flash_write(
        request,
        lambda: decide(programme=programme, chosen=chosen, actor=actor),
        _("已确定同分入选人选。"),
    )
    return redirect("honours:programme_detail", programme.pk)
