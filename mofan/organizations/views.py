"""Organisation pages. Every object is fetched through a scoped selector: outside it, 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts.access import Actor
from mofan.accounts.models import User
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.core.extensions import sections_of
from mofan.core.refusals import refusal_text
from mofan.core.search import contains_any, search_text
from mofan.organizations import selectors, services
from mofan.organizations.forms import MemberAccountForm, MemberForm, PartyOrgForm, UnitForm
from mofan.organizations.models import Member, PartyOrganization, Unit, UnitCategory
from mofan.organizations.validators import looks_like_phone


def _form_errors_to(form: object, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None  # type: ignore[attr-defined]
            for error in errors:
                form.add_error(target, error)  # type: ignore[attr-defined]
    else:
        form.add_error(None, exc)  # type: ignore[attr-defined]


T = TypeVar("T")
# What is edited in a unit's roster (a party organisation, a member): it knows its unit.
RosterObject = TypeVar("RosterObject", PartyOrganization, Member)


def _saved(request: HttpRequest, form: Any, save: Callable[[], T], success: str) -> T | None:
    """On a POST with a valid `form`, run the audited `save` and say `success`: the saved
    object, or None (a GET, an invalid form, or the service's refusal shown on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        saved = save()
    except ValidationError as exc:
        _form_errors_to(form, exc)
        return None
    messages.success(request, success)
    return saved


def _form_page(
    request: HttpRequest,
    form: Any,
    save: Callable[[], T],
    success: str,
    done: Callable[[T], HttpResponse],
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """An edit page: on a valid POST, `save` (audited), say `success` and respond `done(saved)`;
    otherwise (a GET, an invalid form, a refusal) `template` with the form and `context`."""
    saved = _saved(request, form, save, success)
    if saved is not None:
        return done(saved)
    return render(request, template, {"form": form, **context})


def _in_roster(
    actor: Actor, editable: QuerySet[RosterObject], unit_pk: int | None, pk: int | None
) -> tuple[Unit, RosterObject | None]:
    """The unit a new roster object goes into (no `pk`), or the editable object and its unit;
    anything outside the actor's scope is a 404."""
    if pk is None:
        return get_object_or_404(selectors.units_whose_roster_editable_by(actor), pk=unit_pk), None
    obj = get_object_or_404(editable, pk=pk)
    return obj.unit, obj


# Roles that work with organisation data; the auditor reads the audit trail and nothing else.
ORG_ROLES = (
    Role.COMMITTEE_ADMIN,
    Role.COMMITTEE_LEADER,
    Role.UNIT_ADMIN,
    Role.UNIT_LEADER,
    Role.MEMBER,
)


@role_required(*ORG_ROLES)
def unit_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    units = selectors.unit_list(actor)
    query = search_text(request)
    if query:
        units = units.filter(contains_any(query, "name", "short_name", "credit_code"))
    category = request.GET.get("category", "")
    if category in UnitCategory.values:
        units = units.filter(category=category)
    page = Paginator(units, 100).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "category": category,
        "categories": UnitCategory.choices,
        "can_edit": selectors.units_editable_by(actor).exists(),
    }
    template = "organizations/unit_list.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#unit-rows"
    return render(request, template, context)


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    unit = get_object_or_404(selectors.units_for(actor), pk=pk)
    today = timezone.localdate()
    # Notes other apps add to the page (a yellow card, from supervision), and their marks on
    # the organisations in the tree.
    notes = sections_of("organizations.unit", actor=actor, unit=unit)
    marks = {org_id: label for note in notes for org_id, label in note.get("marks", {}).items()}
    tree = [
        (org, depth, org.election_status(today), marks.get(org.pk))
        for org, depth in selectors.party_org_tree(unit)
    ]
    return render(
        request,
        "organizations/unit_detail.html",
        {
            "unit": unit,
            "tree": tree,
            "can_edit_unit": selectors.units_editable_by(actor).filter(pk=pk).exists(),
            "can_edit_roster": selectors.units_whose_roster_editable_by(actor)
            .filter(pk=pk)
            .exists(),
            "can_see_roster": selectors.units_whose_roster_visible_to(actor).filter(pk=pk).exists(),
            "notes": notes,
            "sections": sections_of("organizations.unit.end", actor=actor, unit=unit),
        },
    )


@role_required(Role.COMMITTEE_ADMIN)
def unit_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if pk is None:
        committee = get_object_or_404(selectors.committees_administered_by(actor))
        unit = Unit(committee=committee)
    else:
        unit = get_object_or_404(selectors.units_editable_by(actor), pk=pk)
    form = UnitForm(request.POST or None, instance=unit)
    return _form_page(
        request,
        form,
        lambda: services.unit_save(unit=form.instance, actor=actor),
        _("单位信息已保存。"),
        lambda saved: redirect("organizations:unit_detail", pk=saved.pk),
        "organizations/unit_form.html",
        {"unit": unit},
    )


@login_required
def party_org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    org = get_object_or_404(selectors.party_orgs_for(actor), pk=pk)
    return render(
        request,
        "organizations/party_org_detail.html",
        {
            "org": org,
            "status": org.election_status(),
            "can_edit": selectors.party_orgs_editable_by(actor).filter(pk=pk).exists(),
            "committee_members": org.committee_members.all(),
            "children": org.children.all(),
            "notes": sections_of("organizations.party_org", actor=actor, org=org),
            "sections": sections_of("organizations.party_org.end", actor=actor, org=org),
        },
    )


@login_required
def party_org_edit(
    request: HttpRequest, unit_pk: int | None = None, pk: int | None = None
) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    unit, org = _in_roster(actor, selectors.party_orgs_editable_by(actor), unit_pk, pk)
    form = PartyOrgForm(request.POST or None, instance=org, unit=unit)
    return _form_page(
        request,
        form,
        lambda: services.party_org_save(
            org=form.save(commit=False),
            committee_members=list(form.cleaned_data["committee_members"]),
            actor=actor,
        ),
        _("党组织信息已保存。"),
        lambda saved: redirect("organizations:party_org_detail", pk=saved.pk),
        "organizations/party_org_form.html",
        {"unit": unit, "org": org},
    )


@require_POST
@login_required
def party_org_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    org = get_object_or_404(selectors.party_orgs_editable_by(actor), pk=pk)
    unit_pk = org.unit_id
    try:
        services.party_org_delete(org=org, actor=actor)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("organizations:party_org_detail", pk=pk)
    messages.success(request, _("党组织已删除。"))
    return redirect("organizations:unit_detail", pk=unit_pk)


@login_required
def member_list(request: HttpRequest, unit_pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    unit = get_object_or_404(selectors.units_whose_roster_visible_to(actor), pk=unit_pk)
    members = selectors.members_for(actor).filter(unit=unit).select_related("account")
    query = search_text(request)
    if query:
        found = contains_any(query, "name", "post")
        if looks_like_phone(query):
            # Phones are encrypted: a full number is found through its blind index.
            found |= Q(phone_digest=Member.phone_digest_of(query))
        members = members.filter(found)
    return render(
        request,
        "organizations/member_list.html",
        {
            "unit": unit,
            "members": members,
            "query": query,
            "can_edit": selectors.units_whose_roster_editable_by(actor).filter(pk=unit_pk).exists(),
            "can_link": selectors.units_whose_accounts_linkable_by(actor)
            .filter(pk=unit_pk)
            .exists(),
        },
    )


@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A roster member's page, read-only: the roster data and what other apps add at its foot
    (honours, 述职评议 over the years), for whoever may read the unit's roster."""
    actor = request.actor  # type: ignore[attr-defined]
    member = get_object_or_404(selectors.members_for(actor), pk=pk)
    return render(
        request,
        "organizations/member_detail.html",
        {
            "member": member,
            "unit": member.unit,
            "account": _account_of(member),
            "can_edit": selectors.members_editable_by(actor).filter(pk=pk).exists(),
            "sections": sections_of("organizations.member.end", actor=actor, member=member),
        },
    )


@login_required
def member_edit(
    request: HttpRequest, unit_pk: int | None = None, pk: int | None = None
) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    unit, member = _in_roster(actor, selectors.members_editable_by(actor), unit_pk, pk)
    form = MemberForm(request.POST or None, instance=member, unit=unit)
    return _form_page(
        request,
        form,
        lambda: services.member_save(member=form.save(commit=False), actor=actor),
        _("成员信息已保存。"),
        lambda _member: redirect("organizations:member_list", unit_pk=unit.pk),
        "organizations/member_form.html",
        {
            "unit": unit,
            "member": member,
            "account": _account_of(member),
            "can_link": member is not None
            and selectors.members_linkable_by(actor).filter(pk=member.pk).exists(),
            "sections": []
            if member is None
            else sections_of("organizations.member.end", actor=actor, member=member),
        },
    )


def _account_of(member: Member | None) -> Any:
    """The account linked to `member`, if any."""
    if member is None:
        return None
    return User.objects.filter(member_id=member.pk).first()


@login_required
def member_account(request: HttpRequest, pk: int) -> HttpResponse:
    """Link a member to the unit's 党员 account that is this person, or remove the link."""
    actor = request.actor  # type: ignore[attr-defined]
    member = get_object_or_404(
        selectors.members_linkable_by(actor).select_related("unit", "party_org"), pk=pk
    )
    form = MemberAccountForm(request.POST or None, accounts=selectors.accounts_linkable_to(member))
    if request.method == "POST":
        try:
            if "unlink" in request.POST:
                services.member_account_unlink(member=member, actor=actor)
                messages.success(request, _("已解除关联。"))
                return redirect("organizations:member_account", pk=pk)
            if form.is_valid():
                account = form.cleaned_data["account"]
                services.member_account_link(member=member, account=account, actor=actor)
                messages.success(request, _("已关联账号：%(u)s") % {"u": account.username})
                return redirect("organizations:member_account", pk=pk)
        except ValidationError as exc:
            form.add_error(None, refusal_text(exc))
    return render(
        request,
        "organizations/member_account.html",
        {"member": member, "unit": member.unit, "form": form, "account": _account_of(member)},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def member_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    member = get_object_or_404(selectors.members_editable_by(actor), pk=pk)
    unit_pk = member.unit_id
    services.member_delete(member=member, actor=actor)
    messages.success(request, _("成员已删除。"))
    return redirect("organizations:member_list", unit_pk=unit_pk)


@role_required(*ORG_ROLES)
def elections(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    today = timezone.localdate()
    rows = [
        (org, org.election_status(today)) for org in selectors.elections_due(actor, today=today)
    ]
    return render(request, "organizations/elections.html", {"rows": rows})
