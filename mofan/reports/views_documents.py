"""The documents of an honour programme (`core.exports.base.ProgrammeDocument`, e.g. the naming
decision): generated on request as docx or PDF and served at once (a page or two: no
background job), audited.

The programme comes through `honours.selectors.programmes_for(actor)` (another committee's is a
404); only committee staff reach the view (others 403), and the document's own `check()` decides
the rest (a programme not yet named: a Chinese message on the programme's page)."""

from __future__ import annotations

import io
from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET

from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF
from mofan.audit.services import audit_record
from mofan.core.exports import registry
from mofan.core.exports.base import ProgrammeDocument
from mofan.honours.selectors import programmes_for
from mofan.reports.jobs import safe_filename
from mofan.reports.render import CONTENT_TYPES, render
from mofan.reports.views_exports import SERVE_CSP


@role_required(*COMMITTEE_STAFF)
@require_GET
def programme_document(request: HttpRequest, pk: int) -> HttpResponse:
    """?name=<identifier>&format=<docx|pdf>: an unknown document or format is a 404."""
    actor = actor_of(request)
    identifier = request.GET.get("name", "")
    fmt = request.GET.get("format", "")
    programme = get_object_or_404(programmes_for(actor).select_related("committee"), pk=pk)
    try:
        cls = cast(type[ProgrammeDocument], registry.get(identifier, scope="programme"))
    except LookupError:
        raise Http404 from None
    if fmt not in cls.formats:
        raise Http404
    document = cls(programme=programme, actor=actor)
    try:
        document.check()  # PermissionDenied: 403
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("honours:programme_detail", programme.pk)
    stream = io.BytesIO()
    render(document, fmt, stream)
    name = safe_filename(document.filename(fmt))
    audit_record(
        action="report.programme_document",
        actor=request.user,
        target=programme,
        committee_id=programme.committee_id,
        extra={"document": identifier, "format": fmt, "size": stream.tell()},
    )
    stream.seek(0)
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=name,
        content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SERVE_CSP
    response["Cache-Control"] = "private, no-store"
    return cast(HttpResponse, response)
