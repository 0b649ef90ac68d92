"""The indicator editor: systems, versions, the tree with live totals, diff, import and export.

Every page renders in full; with htmx, edits return only the `tree` partial, so totals and
validation problems update without a reload.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import rules
from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF, Role
from mofan.core.params import id_or_404
from mofan.core.refusals import flash_write, refusal_text
from mofan.core.uploads import UploadRejected, check_xlsx, scan_for_malware
from mofan.indicators import selectors, services
from mofan.indicators.diff import diff_trees
from mofan.indicators.fileformat import FormatError, dump_yaml, parse_yaml
from mofan.indicators.fileformat_xlsx import dump_xlsx, parse_xlsx
from mofan.indicators.forms import METHOD_SHORT, NewNodeForm, NodeForm, PointsForm, UploadForm
from mofan.indicators.models import IndicatorNode, IndicatorSystem, IndicatorVersion
from mofan.indicators.tree import leaf_total, tree_leaf_total, walk
from mofan.indicators.validation import validate_tree
from mofan.organizations.models import Committee

MAX_UPLOAD_MB = 5


def _committee(request: HttpRequest) -> Committee:
    ids = actor_of(request).committees_with(Role.COMMITTEE_ADMIN)
    return get_object_or_404(Committee, pk__in=ids)


def _system_list_page(
    request: HttpRequest, systems: Iterable[IndicatorSystem], status: int = 200, **context: Any
) -> HttpResponse:
    """The list of systems, built-in templates and the committee's own apart."""
    systems = list(systems)
    return render(
        request,
        "indicators/system_list.html",
        {
            "builtin": [s for s in systems if s.committee_id is None],
            "own": [s for s in systems if s.committee_id is not None],
            **context,
        },
        status=status,
    )


@role_required(*COMMITTEE_STAFF)
def system_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    systems = (
        selectors.systems_for(actor)
        .prefetch_related("versions")
        .order_by("committee_id", "-year", "name")
    )
    return _system_list_page(
        request,
        systems,
        can_edit=rules.is_committee_admin(actor),
        upload_form=UploadForm(),
    )


def _tree_context(
    version: IndicatorVersion, *, editing: int | None = None, form: NodeForm | None = None
) -> dict[str, Any]:
    roots = selectors.nodes_of(version)
    problems = validate_tree(roots)
    by_code: dict[str, list[str]] = defaultdict(list)
    for problem in problems:
        by_code[problem.code].append(problem.message)
    rows = []
    for node, depth in walk(roots):
        built = leaf_total(node) if node.children else None
        rows.append(
            {
                "node": node,
                "depth": depth,
                "child_sum": built,
                "mismatch": bool(
                    node.children
                    and node.points is not None
                    and built is not None
                    and built != node.points
                    and not node.override_points
                ),
                "problems": by_code.get(node.code, []),
                "method_label": METHOD_SHORT.get(node.method_type, node.method_type),
                "editing": node.pk == editing,
            }
        )
    return {
        "version": version,
        "rows": rows,
        "types": [(root, leaf_total(root)) for root in roots],
        "total": tree_leaf_total(roots),
        "problem_count": len(problems),
        "editable": not version.is_published,
        "edit_form": form,
        "new_form": NewNodeForm(),
    }


@role_required(*COMMITTEE_STAFF)
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    version = get_object_or_404(selectors.versions_for(actor), pk=pk)
    context = _tree_context(version)
    context["can_edit"] = (
        selectors.versions_editable_by(actor).filter(pk=pk).exists() and not version.is_published
    )
    context["can_clone"] = rules.is_committee_admin(actor)
    context["other_versions"] = (
        selectors.versions_for(actor).filter(system=version.system).exclude(pk=pk)
    )
    return render(request, "indicators/version_detail.html", context)


def _tree_response(request: HttpRequest, version: IndicatorVersion, **extra: Any) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        context = _tree_context(version, **extra)
        context["can_edit"] = not version.is_published
        context["partial"] = True
        return render(request, "indicators/version_detail.html#tree", context)
    return redirect("indicators:version_detail", pk=version.pk)


def _node_editing_page(
    request: HttpRequest, node: IndicatorNode, form: NodeForm, status: int = 200
) -> HttpResponse:
    """The whole version page with `node`'s edit form open in the tree."""
    context = _tree_context(node.version, editing=node.pk, form=form)
    context["can_edit"] = True
    return render(request, "indicators/version_detail.html", context, status=status)


def _editable_node(request: HttpRequest, pk: int) -> IndicatorNode:
    versions = selectors.versions_editable_by(actor_of(request))
    return get_object_or_404(
        IndicatorNode.objects.select_related("version__system"), pk=pk, version__in=versions
    )


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def node_points(request: HttpRequest, pk: int) -> HttpResponse:
    node = _editable_node(request, pk)
    form = PointsForm(request.POST)
    if form.is_valid():
        points = form.cleaned_data["points"]
        flash_write(
            request,
            lambda: services.node_update(
                node=node, data={"points": points}, actor=actor_of(request)
            ),
        )
    else:
        messages.error(request, _("分值应为不小于 0 的数字。"))
    return _tree_response(request, node.version)


@role_required(Role.COMMITTEE_ADMIN)
def node_edit(request: HttpRequest, pk: int) -> HttpResponse:
    node = _editable_node(request, pk)
    if request.method == "POST":
        form = NodeForm(request.POST, rules=node.rules)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.node_update(
                    node=node,
                    data={
                        "title": data["title"],
                        "points": data["points"],
                        "criteria": data["criteria"],
                        "method": data["method"],
                        "evidence": data["evidence"],
                        "evidence_required": data["evidence_required"],
                        "weight": data["weight"],
                        "override_points": data["override_points"],
                        "note": data["note"],
                    },
                    actor=actor_of(request),
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, refusal_text(exc))
            else:
                return _tree_response(request, node.version)
        if not request.htmx:  # type: ignore[attr-defined]
            return _node_editing_page(request, node, form, status=400)
        return _tree_response(request, node.version, editing=node.pk, form=form)
    form = NodeForm(initial=NodeForm.initial_for(node), rules=node.rules)
    if request.htmx:  # type: ignore[attr-defined]
        return _tree_response(request, node.version, editing=node.pk, form=form)
    return _node_editing_page(request, node, form)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def node_add(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(selectors.versions_editable_by(actor_of(request)), pk=pk)
    parent = None
    if request.POST.get("parent"):
        parent = get_object_or_404(
            IndicatorNode, pk=id_or_404(request.POST["parent"]), version=version
        )
    form = NewNodeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        flash_write(
            request,
            lambda: services.node_create(
                version=version,
                parent=parent,
                actor=actor_of(request),
                title=data["title"],
                points=data["points"],
            ),
        )
    else:
        messages.error(request, _("请填写新节点的标题。"))
    return _tree_response(request, version)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def node_delete(request: HttpRequest, pk: int) -> HttpResponse:
    node = _editable_node(request, pk)
    version = node.version
    flash_write(request, lambda: services.node_delete(node=node, actor=actor_of(request)))
    return _tree_response(request, version)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def node_move(request: HttpRequest, pk: int) -> HttpResponse:
    node = _editable_node(request, pk)
    direction = request.POST.get("direction", "")
    flash_write(
        request,
        lambda: services.node_move(node=node, direction=direction, actor=actor_of(request)),
    )
    return _tree_response(request, node.version)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def version_publish(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(selectors.versions_editable_by(actor_of(request)), pk=pk)
    flash_write(
        request,
        lambda: services.version_publish(version=version, actor=actor_of(request)),
        _("已发布。已发布的版本不能再修改，如需调整请复制为新草稿。"),
        refused=_("不能发布："),
    )
    return redirect("indicators:version_detail", pk=version.pk)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def version_clone(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(selectors.versions_for(actor_of(request)), pk=pk)
    clone = flash_write(
        request,
        lambda: services.version_clone(
            version=version, committee=_committee(request), actor=actor_of(request)
        ),
        lambda clone: _("已复制为新草稿 v%(n)d，可以编辑。") % {"n": clone.number},
    )
    return redirect("indicators:version_detail", pk=(clone or version).pk)


@role_required(*COMMITTEE_STAFF)
def version_diff(request: HttpRequest, pk: int) -> HttpResponse:
    versions = selectors.versions_for(actor_of(request))
    version = get_object_or_404(versions, pk=pk)
    against_id = request.GET.get("against") or version.based_on_id
    against = get_object_or_404(versions, pk=id_or_404(against_id)) if against_id else None
    rows = diff_trees(selectors.nodes_of(against), selectors.nodes_of(version)) if against else []
    return render(
        request,
        "indicators/diff.html",
        {"version": version, "against": against, "rows": rows, "choices": versions.exclude(pk=pk)},
    )


@role_required(*COMMITTEE_STAFF)
def version_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    version = get_object_or_404(selectors.versions_for(actor_of(request)), pk=pk)
    doc = selectors.document_for(version)
    name = f"{version.system.slug}-v{version.number}"
    if fmt == "xlsx":
        response = HttpResponse(
            dump_xlsx(doc),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f"attachment; filename={name}.xlsx"
    else:
        response = HttpResponse(dump_yaml(doc), content_type="application/x-yaml; charset=utf-8")
        response["Content-Disposition"] = f"attachment; filename={name}.yaml"
    return response


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    problems: list[str] = []
    if form.is_valid():
        upload_file = form.cleaned_data["file"]
        name = (upload_file.name or "").lower()
        try:
            if name.endswith(".xlsx"):
                checked = check_xlsx(upload_file, max_mb=MAX_UPLOAD_MB, actor=actor_of(request))
                doc = parse_xlsx(checked.content)
            elif name.endswith((".yaml", ".yml")):
                if upload_file.size > MAX_UPLOAD_MB * 1024 * 1024:
                    raise UploadRejected(_("文件过大：上限为 %(n)d MB。") % {"n": MAX_UPLOAD_MB})
                raw = upload_file.read()
                scan_for_malware(raw, name=upload_file.name or "", actor=actor_of(request))
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise UploadRejected(_("YAML 文件须为 UTF-8 编码。")) from exc
                doc = parse_yaml(text)
            else:
                raise UploadRejected(_("只接受 .yaml、.yml 或 .xlsx 文件。"))
            version = services.system_import(
                doc=doc, committee=_committee(request), actor=actor_of(request)
            )
        except UploadRejected as exc:
            problems = [str(exc)]
        except FormatError as exc:
            problems = [str(p) for p in exc.problems]
        except ValidationError as exc:
            problems = list(exc.messages)
        else:
            messages.success(request, _("已导入为草稿 v%(n)d。") % {"n": version.number})
            return redirect("indicators:version_detail", pk=version.pk)
    else:
        problems = [_("请选择文件。")]
    return _system_list_page(
        request,
        selectors.systems_for(actor_of(request)).prefetch_related("versions"),
        status=400,
        can_edit=True,
        upload_form=form,
        upload_problems=problems,
    )
