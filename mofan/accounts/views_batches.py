"""Accounts created in bulk in the background (`accounts/batches.py`): the batch's page, polled
through htmx while it runs, where its requester collects the initial passwords once, or tries a
failed batch again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts import batches, credentials, selectors
from mofan.accounts.access import actor_of
from mofan.accounts.models import AccountBatch, BatchState
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role


def _batch(request: HttpRequest, pk: int) -> AccountBatch:
    """A batch the actor asked for; any other is a 404."""
    return get_object_or_404(selectors.account_batches_for(actor_of(request)), pk=pk)


@role_required(Role.COMMITTEE_ADMIN)
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    # Polled every second: it writes only when the batch it shows was left behind (a GET that
    # wrote on every poll contended with the worker's own writes).
    if batches.is_stale(batch):
        batches.account_batches_recover()
        batch = _batch(request, pk)
    context = {"batch": batch, "active": batch.state in batches.ACTIVE}
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "accounts/manage/batch.html#batch-status", context)
        if batch.state == BatchState.DONE:  # ended under the watcher's eyes: the whole page
            response["HX-Refresh"] = "true"
        return response
    return render(request, "accounts/manage/batch.html", context)


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def batch_collect(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        rows = batches.account_batch_collect(batch=batch, actor=actor_of(request))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("accounts_manage:batch", pk=batch.pk)
    credentials.stash_rows(request, rows)
    return redirect("accounts_manage:credentials")


@require_POST
@role_required(Role.COMMITTEE_ADMIN)
def batch_retry(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        batches.account_batch_retry(batch=batch, actor=actor_of(request))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.info(request, _("已重新提交，正在后台创建。"))
    return redirect(reverse("accounts_manage:batch", args=[batch.pk]))
