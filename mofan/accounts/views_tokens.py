"""The account's own API tokens (/accounts/tokens/): make one (its secret shown once), list
them with their last use, revoke one. The rules are in `tokens.py`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import tokens
from mofan.accounts.access import actor_of
from mofan.accounts.forms import ApiTokenForm
from mofan.accounts.models import ApiToken
from mofan.accounts.permissions import recent_auth_required
from mofan.core.extensions import sections_of


def _page(request: HttpRequest, form: ApiTokenForm, secret: str = "") -> HttpResponse:
    actor = actor_of(request)
    if not tokens.may_use_api(actor):
        raise PermissionDenied(_("您的角色不使用 API。"))
    refusal = tokens.api_refusal(actor)
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "secret": secret,
            "refusal": refusal,
            "needs_2fa": refusal == str(tokens.NEEDS_2FA),
            "now": timezone.now(),
            "tokens": tokens.tokens_of(actor.user),
            # what higher apps show at the foot (the API: the account's recent roster syncs)
            "sections": sections_of("accounts.tokens.end", actor=actor),
        },
    )


@login_required
def tokens_view(request: HttpRequest) -> HttpResponse:
    return _page(request, ApiTokenForm())


@login_required
@require_POST
@recent_auth_required  # a new credential: the password again, as for role changes
def token_create_view(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            _token, secret = tokens.token_create(
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                days=form.cleaned_data["days"],
                actor=actor_of(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("令牌已创建。请立即复制保存，离开本页后不再显示。"))
            return _page(request, ApiTokenForm(), secret)
    return _page(request, form)


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    token = get_object_or_404(ApiToken, pk=pk, user=actor.user)
    tokens.token_revoke(token=token, actor=actor)
    messages.success(request, _("令牌“%(name)s”已撤销。") % {"name": token.name})
    return redirect("accounts:tokens")
