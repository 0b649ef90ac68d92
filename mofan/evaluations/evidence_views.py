"""Evidence pages (佐证材料): the unit's library (with the indicators each file is linked to and
the upload limit of the unit's campaigns), uploads, and linking files to leaf indicators.
Downloads and deletion are `mofan.evidence.views`.

Every object comes through a scoped selector, so anything outside the actor's scope is a 404:
reads through `evidence_for` / `enrollments_for`, writes through `evidence_managed_by` /
`enrollments_filled_by`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Max, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts import rules
from mofan.accounts.access import Actor, actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment
from mofan.core.redirects import safe_next
from mofan.core.trees import in_tree_order
from mofan.core.uploads import UploadRejected
from mofan.evaluations.evidence import LOCKED_STATES, evidence_link, evidence_unlink
from mofan.evaluations.models import EvidenceLink
from mofan.evaluations.selectors import enrollments_filled_by, enrollments_for
from mofan.evidence.checks import DEFAULT_MAX_MB, PREVIEWABLE, allowed_types_text
from mofan.evidence.models import Evidence
from mofan.evidence.selectors import evidence_for, evidence_managed_by
from mofan.evidence.services import evidence_upload
from mofan.indicators.models import IndicatorNode
from mofan.organizations.models import Unit
from mofan.organizations.selectors import units_administered_by, units_for, units_read_by

NODE_PARTIAL = "evaluations/evidence/_node_evidence.html"
ACCEPT = ".pdf,.docx,.xlsx,.jpg,.jpeg,.png,.ofd"


class EvidenceUploadForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), widget=forms.HiddenInput)
    file = forms.FileField(
        label=gettext_lazy("选择文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], max_mb: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["file"].help_text = _(
            "可上传 %(types)s，单个文件不超过 %(n)d MB。同一文件只需上传一次，可关联到多项指标。"
        ) % {"types": allowed_types_text(), "n": max_mb}


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Http404 from None


def max_mb_for(unit: Unit) -> int:
    """The size limit for the unit's uploads: the largest of its open campaigns' limits (a file
    above a campaign's own limit cannot be linked there), else the default."""
    limit = (
        Campaign.objects.filter(enrollments__unit=unit)
        .exclude(status=CampaignStatus.CLOSED)
        .aggregate(limit=Max("evidence_max_mb"))["limit"]
    )
    return int(limit or DEFAULT_MAX_MB)


def _library_unit(actor: Actor, unit_id: str | None) -> Unit:
    """The unit whose library is shown: the one asked for, else the actor's first unit."""
    readable = actor.units_with(Role.UNIT_ADMIN, Role.UNIT_LEADER)
    pk = _int(unit_id) if unit_id else (min(readable) if readable else None)
    if pk is None or pk not in readable:
        raise Http404
    return get_object_or_404(units_for(actor), pk=pk)


def _library_response(
    request: HttpRequest, actor: Actor, unit: Unit, form: EvidenceUploadForm | None = None
) -> HttpResponse:
    can_manage = rules.is_unit_admin_of(actor, unit.pk)
    max_mb = max_mb_for(unit)
    if can_manage and form is None:
        form = EvidenceUploadForm(
            initial={"unit": unit.pk},
            units=units_administered_by(actor),
            max_mb=max_mb,
        )
    links = EvidenceLink.objects.select_related("node", "enrollment__campaign").order_by(
        "enrollment__campaign__year", "enrollment_id", "node__order", "node_id"
    )
    files = (
        evidence_for(actor)
        .filter(unit=unit)
        .select_related("uploaded_by")
        .prefetch_related(Prefetch("links", queryset=links))
        .order_by("-uploaded_at", "-id")
    )
    enrollments = (
        enrollments_for(actor)
        .filter(unit=unit)
        .select_related("campaign")
        .order_by("-campaign__year")
    )
    other_units = units_read_by(actor)
    return render(
        request,
        "evaluations/evidence/library.html",
        {
            "unit": unit,
            "files": files,
            "form": form if can_manage else None,
            "can_manage": can_manage,
            "enrollments": enrollments,
            "other_units": other_units if other_units.count() > 1 else [],
            "previewable": PREVIEWABLE,
            "max_mb": max_mb,
        },
    )


@role_required(Role.UNIT_ADMIN, Role.UNIT_LEADER)
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    unit = _library_unit(actor, request.GET.get("unit"))
    return _library_response(request, actor, unit)


@role_required(Role.UNIT_ADMIN)
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    managed = units_administered_by(actor)
    unit = get_object_or_404(managed, pk=_int(request.POST.get("unit")))
    max_mb = max_mb_for(unit)
    form = EvidenceUploadForm(request.POST, request.FILES, units=managed, max_mb=max_mb)
    if form.is_valid():
        try:
            evidence, created = evidence_upload(
                unit=unit, upload=form.cleaned_data["file"], actor=actor, max_mb=max_mb
            )
        except UploadRejected as exc:
            form.add_error("file", str(exc))
        else:
            if created:
                messages.success(request, _("已上传「%(name)s」。") % {"name": evidence})
            else:
                messages.info(
                    request,
                    _("该文件此前已上传（「%(name)s」，%(when)s），未重复保存。")
                    % {
                        "name": evidence,
                        "when": date_format(localtime(evidence.uploaded_at), "Y-m-d H:i"),
                    },
                )
            return redirect(f"{reverse('evidence:library')}?unit={unit.pk}")
    return _library_response(request, actor, unit, form)


# --- linking ---------------------------------------------------------------------------------


def _is_open(enrollment: Enrollment) -> bool:
    return enrollment.state not in LOCKED_STATES


@dataclass(frozen=True, slots=True)
class LinkedFile:
    """A file linked to a leaf, as its row shows it (the name, and the id for the download and
    unlink): read as plain values, not two model instances per link."""

    evidence_id: int
    name: str


def node_rows(
    enrollment: Enrollment,
    actor: Actor,
    nodes: list[IndicatorNode],
    *,
    can_edit: bool,
    choices_for: frozenset[int] = frozenset(),
) -> list[dict[str, Any]]:
    """What the node partial shows for each of the given leaves of one enrollment, in two
    queries whatever the number of nodes and files: the links, and how many files the unit has.
    The files to choose from are listed only for the leaves in `choices_for` (one leaf the
    user asked to link, `choose`), so a page of 53 leaves does not carry 53 copies of a
    200-file list."""
    by_node: dict[int, list[LinkedFile]] = {node.pk: [] for node in nodes}
    links = (
        EvidenceLink.objects.filter(enrollment=enrollment, node_id__in=list(by_node))
        .order_by("created_at", "id")
        .values_list("node_id", "evidence_id", "evidence__original_name")
    )
    for node_id, evidence_id, name in links:
        by_node[node_id].append(LinkedFile(evidence_id, name))
    unit_files = evidence_managed_by(actor).filter(unit_id=enrollment.unit_id)
    files: list[Evidence] = []
    file_count = 0
    if can_edit and choices_for:
        files = list(
            unit_files.only("id", "original_name", "kind", "size").order_by("-uploaded_at", "-id")
        )
        file_count = len(files)
    elif can_edit:
        file_count = unit_files.count()
    cap = enrollment.campaign.evidence_cap_per_indicator
    rows = []
    for node in nodes:
        linked = by_node[node.pk]
        linked_ids = {item.evidence_id for item in linked}
        full = cap is not None and len(linked) >= cap
        rows.append(
            {
                "node": node,
                "links": linked,
                "choices": [f for f in files if f.pk not in linked_ids]
                if node.pk in choices_for
                else None,
                "can_pick": can_edit and not full and file_count > len(linked),
                "full": full,
                "error": "",
            }
        )
    return rows


def _node_response(
    request: HttpRequest, actor: Actor, enrollment: Enrollment, node: IndicatorNode, error: str
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        can_edit = _is_open(enrollment)
        row = node_rows(
            enrollment, actor, [node], can_edit=can_edit, choices_for=frozenset({node.pk})
        )[0]
        row["error"] = error
        return render(
            request,
            NODE_PARTIAL,
            {
                "row": row,
                "enrollment": enrollment,
                "can_edit": can_edit,
                "cap": enrollment.campaign.evidence_cap_per_indicator,
                "next": safe_next(request, request.POST.get("next"), ""),
            },
        )
    if error:
        messages.error(request, error)
    default = reverse("evidence:enrollment", args=[enrollment.pk])
    return redirect(safe_next(request, request.POST.get("next"), default))


def _enrollment_and_node(request: HttpRequest, actor: Actor) -> tuple[Enrollment, IndicatorNode]:
    enrollment = get_object_or_404(
        enrollments_filled_by(actor).select_related("campaign"),
        pk=_int(request.POST.get("enrollment")),
    )
    node = get_object_or_404(
        IndicatorNode.objects.filter(version_id=enrollment.campaign.indicator_version_id),
        pk=_int(request.POST.get("node")),
    )
    return enrollment, node


@require_POST
@login_required
def link(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    enrollment, node = _enrollment_and_node(request, actor)
    evidence = get_object_or_404(
        evidence_managed_by(actor).filter(unit_id=enrollment.unit_id),
        pk=_int(request.POST.get("evidence")),
    )
    error = ""
    try:
        evidence_link(evidence=evidence, enrollment=enrollment, node=node, actor=actor)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    enrollment.refresh_from_db(fields=["state"])
    return _node_response(request, actor, enrollment, node, error)


@require_GET
@login_required
def choose(request: HttpRequest) -> HttpResponse:
    """The unit's files to link to one leaf, asked for when the user wants to link one: in
    place with htmx, else as a small page of its own."""
    actor = actor_of(request)
    enrollment = get_object_or_404(
        enrollments_filled_by(actor).select_related("campaign", "unit"),
        pk=_int(request.GET.get("enrollment")),
    )
    node = get_object_or_404(
        IndicatorNode.objects.filter(version_id=enrollment.campaign.indicator_version_id),
        pk=_int(request.GET.get("node")),
    )
    can_edit = _is_open(enrollment)
    row = node_rows(enrollment, actor, [node], can_edit=can_edit, choices_for=frozenset({node.pk}))[
        0
    ]
    default = reverse("evidence:enrollment", args=[enrollment.pk])
    context = {
        "row": row,
        "enrollment": enrollment,
        "can_edit": can_edit,
        "cap": enrollment.campaign.evidence_cap_per_indicator,
        "next": safe_next(request, request.GET.get("next"), default),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, NODE_PARTIAL, context)
    return render(request, "evaluations/evidence/choose.html", context)


@require_POST
@login_required
def unlink(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    enrollment, node = _enrollment_and_node(request, actor)
    item = get_object_or_404(
        EvidenceLink.objects.filter(
            evidence__in=evidence_managed_by(actor), enrollment=enrollment, node=node
        ).select_related("enrollment", "node"),
        evidence_id=_int(request.POST.get("evidence")),
    )
    error = ""
    try:
        evidence_unlink(link=item, actor=actor)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    enrollment.refresh_from_db(fields=["state"])
    return _node_response(request, actor, enrollment, node, error)


@require_GET
@login_required
def enrollment_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """The evidence linked to each leaf indicator of one enrollment; the unit admin links and
    unlinks here while the self-evaluation is open."""
    actor = actor_of(request)
    enrollment = get_object_or_404(enrollments_for(actor).select_related("campaign", "unit"), pk=pk)
    can_edit = _is_open(enrollment) and enrollments_filled_by(actor).filter(pk=pk).exists()
    nodes = list(
        IndicatorNode.objects.filter(version_id=enrollment.campaign.indicator_version_id)
        .only("id", "parent_id", "code", "title", "evidence", "evidence_required", "order")
        .order_by("order", "id")
    )
    parents = {node.parent_id for node in nodes if node.parent_id is not None}
    ordered = in_tree_order(nodes)
    leaves = [node for node, _depth in ordered if node.pk not in parents]
    rows = {row["node"].pk: row for row in node_rows(enrollment, actor, leaves, can_edit=can_edit)}
    tree = [
        {"node": node, "depth": min(depth, 3), "row": rows.get(node.pk)} for node, depth in ordered
    ]
    required_missing = sum(
        1 for row in rows.values() if row["node"].evidence_required and not row["links"]
    )
    return render(
        request,
        "evaluations/evidence/enrollment.html",
        {
            "enrollment": enrollment,
            "tree": tree,
            "can_edit": can_edit,
            "locked": not _is_open(enrollment),
            "cap": enrollment.campaign.evidence_cap_per_indicator,
            "required_missing": required_missing,
            "next": request.get_full_path(),
        },
    )
