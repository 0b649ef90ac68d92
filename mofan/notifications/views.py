"""The user's own notices (/notices/): a self-service page like one's own account pages. Every
role, the auditor included, reads and marks only the notices addressed to them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mofan.notifications.selectors import notices_for
from mofan.notifications.services import is_local_path, notice_mark_read

PER_PAGE = 20


def _page(request: HttpRequest, number: str | None) -> Page:
    notices = notices_for(request.actor)  # type: ignore[attr-defined]
    return Paginator(notices, PER_PAGE).get_page(number)


def _back_to_list(page_number: str | None) -> HttpResponseRedirect:
    url = reverse("notifications:list")
    if page_number and page_number.isdigit() and page_number != "1":
        url += f"?page={page_number}"
    return redirect(url)


@login_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    page = _page(request, request.GET.get("page"))
    template = "notifications/list.html"
    if request.htmx:  # type: ignore[attr-defined]
        template = "notifications/list_update.html"
    return render(request, template, {"page": page})


@login_required
@require_GET
def notice_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a notice marks it read and goes to what it is about, only ever on this site.

    A GET changes `read_at` here: reading is not a business fact (not audited, never counted),
    and the link must work as a plain link (new tab, no JavaScript)."""
    notice = get_object_or_404(notices_for(request.actor), pk=pk)  # type: ignore[attr-defined]
    notice_mark_read(user=request.user, notice_ids=[notice.pk])  # type: ignore[arg-type]
    if is_local_path(notice.url):
        return HttpResponseRedirect(notice.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notice_mark_one(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(notices_for(request.actor), pk=pk)  # type: ignore[attr-defined]
    notice_mark_read(user=request.user, notice_ids=[notice.pk])  # type: ignore[arg-type]
    if request.htmx:  # type: ignore[attr-defined]
        notice.refresh_from_db()
        return render(request, "notifications/row_update.html", {"n": notice})
    return _back_to_list(request.POST.get("page"))


@login_required
@require_POST
def notice_mark_all(request: HttpRequest) -> HttpResponse:
    notice_mark_read(user=request.user)  # type: ignore[arg-type]
    if request.htmx:  # type: ignore[attr-defined]
        page = _page(request, request.POST.get("page"))
        return render(request, "notifications/list_update.html", {"page": page})
    messages.success(request, _("已全部标为已读。"))
    return _back_to_list(request.POST.get("page"))
