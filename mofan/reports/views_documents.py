"""The documents of an honour programme (`core.exports.base.ProgrammeDocument`, e.g. the naming
decision) and of a call for brand cases (`CallDocument`: the compilation of its 优秀案例):
generated on request as docx or PDF and served at once (a few pages: no background job),
audited. A call's document is also offered as the upper-level package: a zip of its docx and
its PDF.

The programme or call comes through its app's scoped selector (`honours.selectors.programmes_for`,
`cases.selectors.calls_for`; another committee's is a 404); only committee staff reach the views
(others 403), and the document's own `check()` decides the rest (not yet named or published: a
Chinese message on the page it came from)."""

from __future__ import annotations

import io
import zipfile
from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET

from mofan.accounts.access import actor_of
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import COMMITTEE_STAFF
from mofan.audit.services import audit_record
from mofan.cases.selectors import calls_for
from mofan.core.exports import registry
from mofan.core.exports.base import CallDocument, Document, ProgrammeDocument
from mofan.honours.selectors import programmes_for
from mofan.reports.jobs import safe_filename
from mofan.reports.render import CONTENT_TYPES, render
from mofan.reports.views_exports import SERVE_CSP


def _serve(
    request: HttpRequest,
    document: Document,
    fmt: str,
    target: models.Model,
    committee_id: int,
    back: HttpResponse,
) -> HttpResponse:
    """Check, render (a zip holds the docx and the PDF), audit and serve `document`."""
    try:
        document.check()  # PermissionDenied: 403
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return back
    stream = io.BytesIO()
    if fmt == "zip":
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in ("docx", "pdf"):
                content = io.BytesIO()
                render(document, part, content)
                archive.writestr(safe_filename(document.filename(part)), content.getvalue())
    else:
        render(document, fmt, stream)
    name = safe_filename(document.filename(fmt))
    audit_record(
        action=f"report.{document.scope}_document",
        actor=request.user,
        target=target,
        committee_id=committee_id,
        extra={"document": document.identifier, "format": fmt, "size": stream.tell()},
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
    back = redirect("honours:programme_detail", programme.pk)
    return _serve(request, document, fmt, programme, programme.committee_id, back)


@role_required(*COMMITTEE_STAFF)
@require_GET
def call_document(request: HttpRequest, pk: int) -> HttpResponse:
    """?name=<identifier>&format=<docx|pdf|zip>: an unknown document or format is a 404."""
    actor = actor_of(request)
    identifier = request.GET.get("name", "")
    fmt = request.GET.get("format", "")
    call = get_object_or_404(calls_for(actor).select_related("committee"), pk=pk)
    try:
        cls = cast(type[CallDocument], registry.get(identifier, scope="case_call"))
    except LookupError:
        raise Http404 from None
    if fmt not in (*cls.formats, "zip"):
        raise Http404
    document = cls(call=call, actor=actor)
    back = redirect("cases:call_detail", call.pk)
    return _serve(request, document, fmt, call, call.committee_id, back)
