"""Importing a term's records from xlsx: the template to fill (with the unit's own
organisations and the kinds), the upload page — checked like every upload, validated whole,
shown row by row before ("只校验") or instead of importing — and the import's own page, polled
while a worker records the rows all or nothing (`imports_task`)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts.access import actor_of
from mofan.activities import importing, imports_task, selectors
from mofan.activities.models import ActivityImport
from mofan.activities.views import ledger_writer
from mofan.core import background
from mofan.core.refusals import refusal_text
from mofan.core.uploads import UploadRejected, check_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel 文件（.xlsx）"))


@login_required
def import_records(request: HttpRequest) -> HttpResponse:
    """Upload a filled template: "只校验" shows the rows that would be recorded (or every
    problem); "校验并导入" records them when there is no problem at all."""
    actor = ledger_writer(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    dry_run = request.POST.get("action") == "check"
    if request.method == "POST" and form.is_valid():
        try:
            checked = check_xlsx(
                form.cleaned_data["file"], max_mb=settings.MOFAN_IMPORT_MAX_MB, actor=actor
            )
        except UploadRejected as exc:
            form.add_error("file", str(exc))
        else:
            today = timezone.localdate()
            report = importing.parse_records_sheet(checked.content, actor=actor, today=today)
            if report.ok and not dry_run:
                try:
                    job = imports_task.activity_import_request(
                        rows=[row.data for row in report.rows], source=checked.name, actor=actor
                    )
                except (ValidationError, PermissionDenied) as exc:
                    report.fault(0, "—", refusal_text(exc))
                else:
                    messages.info(
                        request,
                        _("已校验 %(n)d 条记录，正在后台导入。") % {"n": job.total},
                    )
                    return redirect("activities:import_job", pk=job.pk)
    refused = request.method == "POST" and (report is None or not report.ok)
    return render(
        request,
        "activities/import.html",
        {
            "form": form,
            "report": report,
            "dry_run": dry_run,
            "max_rows": importing.MAX_ROWS,
            "jobs": selectors.imports_for(actor)[:5],
        },
        status=400 if refused else 200,
    )


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    actor = ledger_writer(request)
    response = HttpResponse(importing.template_workbook(actor), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''activity-records-template.xlsx"
    return response


def _job(request: HttpRequest, pk: int) -> ActivityImport:
    """An import the actor asked for; any other is a 404."""
    return get_object_or_404(selectors.imports_for(ledger_writer(request)), pk=pk)


@login_required
@require_GET
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    return background.watch(
        request,
        lambda: _job(request, pk),
        template="activities/import_job.html",
        name="job",
        recover_all=imports_task.activity_imports_recover,
    )


@login_required
@require_POST
def import_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        imports_task.activity_import_retry(job=job, actor=actor_of(request))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.info(request, _("已重新提交，正在后台导入。"))
    return redirect("activities:import_job", pk=job.pk)
