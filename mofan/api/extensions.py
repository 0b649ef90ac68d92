"""What the API contributes to the registries (core/extensions.py): its audit action, and the
account's recent roster syncs at the foot of its token page (/accounts/tokens/), so that the
person whose token a nightly sync uses sees whether it went through and, if not, why."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from mofan.core.extensions import PageSection, audit_actions_register, page_sections

SHOWN = 10

audit_actions_register({"api.roster_sync_request": _("通过 API 提交名册同步")})


def _recent_syncs(*, actor: Any, **_page: Any) -> dict[str, Any] | None:
    from mofan.api.roster_tasks import recent_syncs

    syncs = recent_syncs(actor, shown=SHOWN)
    return {"syncs": syncs} if syncs else None


page_sections.register(
    PageSection("accounts.tokens.end", 10, "api/sections/roster_syncs.html", _recent_syncs)
)
