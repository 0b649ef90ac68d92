"""From a plan document to a draft: upload or paste, review side by side (the source lines
with what was read highlighted, the proposed tree with its fixes), accept as a draft version
in the editor (validated and audited like any import)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.core.uploads import UploadRejected, scan_for_malware
from mofan.indicators import services
from mofan.indicators.doc_import.draft import Proposal, propose
from mofan.indicators.doc_import.extract import SUFFIXES, ExtractError, document_text
from mofan.indicators.doc_import.review import SIMPLE_METHODS, apply_fixes
from mofan.indicators.forms import METHOD_SHORT, DocumentForm
from mofan.indicators.tree import walk
from mofan.indicators.validation import validate_tree
from mofan.indicators.views import MAX_UPLOAD_MB
from mofan.organizations.selectors import committee_administered_by

MAX_TEXT = 200_000  # characters of pasted or extracted text


def _read(request: HttpRequest, form: DocumentForm) -> tuple[str, str]:
    """The document's text and a name for it; UploadRejected with a Chinese message."""
    upload = form.cleaned_data.get("file")
    if upload is not None:
        name = upload.name or ""
        if not name.lower().endswith(SUFFIXES):
            raise UploadRejected(_("只能导入 .docx、.txt 或 .pdf 文件。"))
        if (upload.size or 0) > MAX_UPLOAD_MB * 1024 * 1024:
            raise UploadRejected(_("文件过大：上限为 %(n)d MB。") % {"n": MAX_UPLOAD_MB})
        if not upload.size:
            raise UploadRejected(_("文件是空的。"))
        content = upload.read()
        scan_for_malware(content, name=name, actor=actor_of(request))
        try:
            text = document_text(name, content)
        except ExtractError as exc:
            raise UploadRejected(str(exc)) from exc
    else:
        text, name = form.cleaned_data.get("text") or "", _("粘贴的文本")
    if not text.strip():
        raise UploadRejected(_("请上传文件或粘贴方案文本。"))
    if len(text) > MAX_TEXT:
        raise UploadRejected(_("文本过长：上限为 %(n)d 字。") % {"n": MAX_TEXT})
    return text, name


SCORING = {"points": _lazy("分值制"), "qualitative": _lazy("定性（不计分）")}


def _amount(values: Any) -> str:
    items = values if isinstance(values, list | tuple) else [values]
    return "、".join(format(Decimal(str(v)).normalize(), "f") for v in items)


def _params(method: dict[str, Any]) -> dict[str, Any]:
    """A leaf's method parameters as the review form shows them (numbered from 1)."""
    kind = method.get("type")
    out: dict[str, Any] = {"kind": kind}
    if kind == "deduction":
        out["rules"] = [
            {
                "n": n,
                "label": r.get("label", ""),
                "amount": _amount(r["scale"] if r.get("scale") else r.get("per_incident", "")),
                "scaled": bool(r.get("scale")),
            }
            for n, r in enumerate(method.get("rules", []), start=1)
        ]
        out["floor"] = _amount(method.get("floor", 0))
        out["cap"] = _amount(method["cap"]) if "cap" in method else ""
    elif kind == "grade":
        out["bands"] = [
            {
                "n": n,
                "label": b.get("label", ""),
                "deduct": "-".join(_amount(v) for v in b["deduct"]) if "deduct" in b else None,
                "ratio": "-".join(_amount(v) for v in b["ratio"]) if "ratio" in b else None,
            }
            for n, b in enumerate(method.get("bands", []), start=1)
        ]
    elif kind == "bonus":
        out["cap"] = _amount(method["cap"]) if "cap" in method else ""
    return out


def _rows(proposal: Proposal) -> list[dict[str, Any]]:
    return [
        {
            "node": node,
            "depth": depth,
            "indent": min(depth, 4),
            "leaf": not node.children,
            "method": METHOD_SHORT.get(node.method_type, node.method_type),
            "params": _params(node.method) if not node.children else {},
        }
        for node, depth in walk(proposal.document.roots)
    ]


def _review(
    request: HttpRequest, proposal: Proposal, text: str, name: str, problems: list[str], status: int
) -> HttpResponse:
    return render(
        request,
        "indicators/doc_import.html",
        {
            "form": DocumentForm(),
            "proposal": proposal,
            "rows": _rows(proposal),
            "source_text": text,
            "source_name": name,
            "methods": [(key, METHOD_SHORT.get(key, key)) for key in SIMPLE_METHODS],
            "scoring": SCORING.get(proposal.document.scoring, proposal.document.scoring),
            "problems": problems,
            "unrecognised": [line for line in proposal.unrecognised if line.text.strip()],
        },
        status=status,
    )


@role_required(Role.COMMITTEE_ADMIN)
def from_document(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: read the document and show the review."""
    committee_administered_by(actor_of(request))
    if request.method != "POST":
        return render(request, "indicators/doc_import.html", {"form": DocumentForm()})
    form = DocumentForm(request.POST, request.FILES)
    problems: list[str] = []
    if form.is_valid():
        try:
            text, name = _read(request, form)
        except UploadRejected as exc:
            problems = [str(exc)]
        else:
            proposal = propose(text, source=name, default_year=timezone.localdate().year)
            return _review(request, proposal, text, name, [], 200)
    else:
        problems = [str(e) for errors in form.errors.values() for e in errors]
    return render(
        request,
        "indicators/doc_import.html",
        {"form": form, "read_problems": problems},
        status=400,
    )


@role_required(Role.COMMITTEE_ADMIN)
def accept_document(request: HttpRequest) -> HttpResponse:
    """The reviewed tree, with the clerk's fixes, becomes a draft version in the editor."""
    if request.method != "POST":
        return redirect("indicators:from_document")
    committee = committee_administered_by(actor_of(request))
    text = request.POST.get("source_text", "")[:MAX_TEXT]
    name = request.POST.get("source_name", "")[:100]
    if not text.strip():
        return redirect("indicators:from_document")
    proposal = propose(text, source=name, default_year=timezone.localdate().year)
    doc = proposal.document
    doc.name = (request.POST.get("name") or doc.name).strip()[:200] or doc.name
    doc.issuer = (request.POST.get("issuer") or doc.issuer).strip()[:100] or doc.issuer
    problems = apply_fixes(doc.roots, request.POST)
    for node, _depth in walk(doc.roots):
        node.extra.pop("source_lines", None)
    problems += [str(p) for p in validate_tree(doc.roots)]
    if not problems:
        try:
            version = services.system_import(
                doc=doc,
                committee=committee,
                actor=actor_of(request),
                note=(_("由文档导入：") + name)[:200],
            )
        except ValidationError as exc:
            problems = list(exc.messages)
        else:
            messages.success(
                request, _("已导入为草稿 v%(n)d，请在编辑器中继续核对。") % {"n": version.number}
            )
            return redirect("indicators:version_detail", pk=version.pk)
    return _review(request, proposal, text, name, problems, 400)
