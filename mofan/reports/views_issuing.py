"""Pages of drafting and issuing official documents (`issuing.py`): the 起草 button of the
export page, the committee's drafts (and its register's 机关代字), a draft shown as it will
print with its texts to edit and the issue form, and the issued versions with their downloads.

Drafts come through `issuing_selectors.drafts_for(actor)` (the committee's staff), issued
versions through `issued_for(actor)` (also a unit's admin or leader, for its own per-unit
documents); anything else is a 404.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS
from mofan.audit.services import audit_record
from mofan.core.concurrency import StaleWrite
from mofan.core.exports.base import Block, Heading, Paragraph
from mofan.evaluations.selectors import campaigns_for
from mofan.honours.selectors import programmes_for
from mofan.organizations.models import Committee
from mofan.reports import issuing
from mofan.reports.documents.common import numbered
from mofan.reports.exporters._scope import export_units
from mofan.reports.forms import ExportStartForm
from mofan.reports.forms_issuing import DraftEditForm, IssueForm, RegisterForm
from mofan.reports.issuing_selectors import drafts_for, issued_for
from mofan.reports.jobs import safe_filename
from mofan.reports.models import DocumentDraft
from mofan.reports.render import CONTENT_TYPES
from mofan.reports.views_exports import SERVE_CSP, offers_for


def _errors(exc: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc) or _("您没有权限进行此操作。")]


@role_required(*COMMITTEE_STAFF)
@require_POST
def draft_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The 起草 button of the export page: the same form as the export buttons."""
    actor = actor_of(request)
    campaign = get_object_or_404(campaigns_for(actor).select_related("committee"), pk=pk)
    units = export_units(actor, campaign)
    offers = offers_for(actor, campaign, units)
    form = ExportStartForm(request.POST, offers=offers, units=units, campaign_id=campaign.pk)
    if not form.is_valid() or not form.cleaned_data["offer"].draftable:
        errors = [*form.non_field_errors(), *form.errors.get("unit", [])]
        for error in errors or [_("这项报表不能起草为公文。")]:
            messages.error(request, str(error))
        return redirect("reports:exports", pk=campaign.pk)
    try:
        draft = issuing.draft_create(
            identifier=form.cleaned_data["offer"].identifier,
            campaign=campaign,
            unit=form.cleaned_data["unit"],
            actor=actor,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("reports:exports", pk=campaign.pk)
    except (LookupError, ObjectDoesNotExist):
        raise Http404 from None
    messages.success(request, _("草稿已生成，可以逐段修改后印发。"))
    return redirect("reports:draft", pk=draft.pk)


@role_required(*COMMITTEE_STAFF)
@require_POST
def programme_draft_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The 起草 button of a named programme's documents (`?name=<identifier>`)."""
    actor = actor_of(request)
    programme = get_object_or_404(programmes_for(actor).select_related("campaign"), pk=pk)
    try:
        draft = issuing.draft_create(
            identifier=request.GET.get("name", ""),
            campaign=None,
            unit=None,
            actor=actor,
            programme=programme,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("honours:programme_detail", programme.pk)
    except (LookupError, ObjectDoesNotExist):
        raise Http404 from None
    messages.success(request, _("草稿已生成，可以逐段修改后印发。"))
    return redirect("reports:draft", pk=draft.pk)


@role_required(*COMMITTEE_STAFF)
@require_GET
def draft_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    drafts = (
        drafts_for(actor)
        .select_related("campaign", "programme", "unit")
        .order_by("-updated_at", "-pk")
    )
    page = Paginator(drafts, 30).get_page(request.GET.get("page"))
    committees = Committee.objects.filter(pk__in=actor.committees_with(*COMMITTEE_STAFF))
    registers = [
        (
            committee,
            RegisterForm(
                initial={"code": _prefix(committee)}, auto_id=f"register-{committee.pk}-%s"
            ),
        )
        for committee in committees.order_by("pk")
    ]
    return render(request, "reports/issuing/drafts.html", {"page": page, "registers": registers})


def _prefix(committee: Committee) -> str:
    register = issuing.register_of(committee)
    return register.prefix if register else issuing.default_prefix(committee)


@role_required(*COMMITTEE_STAFF)
@require_POST
def register_update(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    if not rules.is_staff_of(actor, pk):
        raise Http404
    committee = get_object_or_404(Committee, pk=pk)
    form = RegisterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写机关代字（不超过20个字）。"))
        return redirect("reports:drafts")
    try:
        issuing.register_update(committee=committee, prefix=form.cleaned_data["code"], actor=actor)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("机关代字已保存。"))
    return redirect("reports:drafts")


def preview_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The draft's blocks with the numbers their headings will print with (as the renderers
    number them: `documents.common.numbered`)."""
    plain: list[Block] = [
        Heading(str(b.get("text", "")), int(b.get("level", 1)))
        if b.get("kind") == "heading"
        else Paragraph("")
        for b in blocks
    ]
    return [
        {**block, "n": index + 1, "label": label}
        for index, (block, (_plain, label)) in enumerate(zip(blocks, numbered(plain), strict=True))
    ]


@role_required(*COMMITTEE_STAFF)
@require_http_methods(["GET", "POST"])
def draft_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft as it will print, its texts to edit (POST saves them) and the issue form."""
    actor = actor_of(request)
    draft = get_object_or_404(
        drafts_for(actor).select_related("committee", "campaign", "programme", "unit"), pk=pk
    )
    blocks = list(draft.content.get("blocks", []))
    form = DraftEditForm(
        request.POST if request.method == "POST" else None,
        blocks=blocks,
        initial={"version": draft.version, "title": draft.content.get("title", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            draft = issuing.draft_update(
                draft=draft,
                title=form.cleaned_data["title"],
                texts=form.texts(),
                version=form.cleaned_data["version"],
                actor=actor,
            )
        except StaleWrite as exc:
            # Keep the clerk's texts, show what is stored now; a second save overwrites it.
            draft = cast(DocumentDraft, exc.current)
            posted = request.POST.copy()
            posted["version"] = str(draft.version)
            form = DraftEditForm(posted, blocks=blocks)
            form.is_valid()
            form.add_error(None, _errors(exc))
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("reports:draft", pk=draft.pk)
    issue_form = IssueForm(
        initial={"version": draft.version, "date": timezone.localdate()},
        auto_id="issue-%s",
    )
    return _draft_page(request, draft, form, issue_form)


def _draft_page(
    request: HttpRequest, draft: DocumentDraft, form: DraftEditForm, issue_form: IssueForm
) -> HttpResponse:
    content = draft.content
    context = {
        "draft": draft,
        "form": form,
        "issue_form": issue_form,
        "title": content.get("title", ""),
        "addressee": content.get("addressee", ""),
        "blocks": preview_blocks(list(content.get("blocks", []))),
        "problems": issuing.draft_problems(content),
        "issuer": _("%(name)s文件") % {"name": draft.committee.name},
        "signature": draft.committee.name,
        "issues": draft.issues.order_by("-version"),
    }
    return render(request, "reports/issuing/draft.html", context)


@role_required(*COMMITTEE_STAFF)
@require_POST
def draft_issue(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    draft = get_object_or_404(
        drafts_for(actor).select_related("committee", "campaign", "programme", "unit"), pk=pk
    )
    issue_form = IssueForm(request.POST, auto_id="issue-%s")
    if issue_form.is_valid():
        try:
            issued = issuing.document_issue(
                draft=draft,
                date=issue_form.cleaned_data["date"],
                version=issue_form.cleaned_data["version"],
                actor=actor,
            )
        except StaleWrite as exc:
            draft = cast(DocumentDraft, exc.current)
            issue_form.add_error(None, _errors(exc))
        except (ValidationError, PermissionDenied) as exc:
            issue_form.add_error(None, _errors(exc))
        except (LookupError, ObjectDoesNotExist):
            raise Http404 from None
        else:
            done = _("已印发：%(number)s（第%(v)d版）。")
            messages.success(request, done % {"number": issued.number, "v": issued.version})
            return redirect("reports:issued")
    form = DraftEditForm(
        blocks=list(draft.content.get("blocks", [])),
        initial={"version": draft.version, "title": draft.content.get("title", "")},
    )
    return _draft_page(request, draft, form, issue_form)


@role_required(*COMMITTEE_STAFF, *UNIT_READERS)
@require_GET
def issued_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    rows = (
        issued_for(actor)
        .select_related("campaign", "programme", "unit")
        .order_by("-issued_on", "-year", "-serial", "-pk")
    )
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "reports/issuing/issued.html", {"page": page})


@role_required(*COMMITTEE_STAFF, *UNIT_READERS)
@require_GET
def issued_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    actor = actor_of(request)
    issued = get_object_or_404(issued_for(actor), pk=pk)
    try:
        data = issuing.issued_file(issued, fmt)
    except LookupError:
        messages.error(request, _("文件缺失或校验不符，请联系系统管理员。"))
        return redirect("reports:issued")
    name = f"{issued.number}-{issued.title}-第{issued.version}版.{fmt}"
    audit_record(
        action="report.document.download",
        actor=request.user,
        target=issued,
        committee_id=issued.committee_id,
        extra={"format": fmt, "number": issued.number, "version": issued.version},
    )
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = _attachment(safe_filename(name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SERVE_CSP
    response["Cache-Control"] = "private, no-store"
    return response


def _attachment(name: str) -> str:
    return content_disposition_header(as_attachment=True, filename=name) or "attachment"
