"""Evidence file pages: download (or preview) and delete.

Files come through the scoped selectors, so anything outside the actor's scope is a 404: reads
through `evidence_for`, deletion through `evidence_managed_by`. Files are served as attachments
with `nosniff` and a sandboxing CSP; only images and PDFs may be shown inline (`?inline=1`).
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts.access import actor_of
from mofan.evidence.checks import CONTENT_TYPES, PREVIEWABLE
from mofan.evidence.selectors import evidence_for, evidence_managed_by
from mofan.evidence.services import evidence_delete
from mofan.evidence.storage import path_of

logger = logging.getLogger(__name__)

SERVE_CSP = "sandbox; default-src 'none'"


@require_POST
@login_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    evidence = get_object_or_404(evidence_managed_by(actor), pk=pk)
    try:
        evidence_delete(evidence=evidence, actor=actor)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已删除「%(name)s」。") % {"name": evidence})
    return redirect(f"{reverse('evidence:library')}?unit={evidence.unit_id}")


@require_GET
@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    actor = actor_of(request)
    evidence = get_object_or_404(evidence_for(actor), pk=pk)
    inline = request.GET.get("inline") == "1"
    if inline and evidence.kind not in PREVIEWABLE:
        raise Http404
    try:
        handle = path_of(evidence.stored_name).open("rb")
    except (OSError, ValueError):
        logger.error("evidence %s: stored file %s is missing", evidence.pk, evidence.stored_name)
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=evidence.original_name,
        content_type=CONTENT_TYPES[evidence.kind],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SERVE_CSP
    response["Cache-Control"] = "private, no-store"
    return response
