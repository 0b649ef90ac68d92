"""Accounts created in bulk in the background (`accounts/batches.py`): the batch's page, polled
through htmx while it runs, where its requester collects the initial passwords once, or tries a
failed batch again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts import batches, credentials, selectors
from mofan.accounts.access import actor_of
from mofan.accounts.models import AccountBatch
from mofan.accounts.permissions import role_required
from mofan.accounts.roles import Role
from mofan.core import background


def _batch(request: HttpRequest, pk: int) -> AccountBatch:
    """A batch the actor asked for; any other is a 404."""
    return get_object_or_404(selectors.account_batches_for(actor_of(request)), pk=pk)


@role_required(Role.COMMITTEE_ADMIN)
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return background.watch(
        request,
        lambda: _batch(request, pk),
        template="accounts/manage/batch.html",
        name="batch",
        recover_all=batches.account_batches_recover,
    )


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
