"""The reviewer chooser kind (see `core.choosers`): accounts holding the 评审组成员 role, by name
or user name; the scopes (a campaign's pool) are registered by the apps that use them."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mofan.accounts.models import User
from mofan.core.choosers import ChooserKind


def _matching(qs: QuerySet[User], text: str) -> QuerySet[User]:
    return qs.filter(Q(full_name__icontains=text) | Q(username__icontains=text)).order_by(
        "username"
    )


def _named(qs: QuerySet[User], text: str) -> QuerySet[User]:
    _name, _sep, rest = text.partition("（")
    if rest.endswith("）"):  # the label: 姓名（用户名）
        return qs.filter(username=rest[:-1].strip()).order_by("username")
    return qs.filter(Q(username=text) | Q(full_name=text)).order_by("username")


REVIEWER = ChooserKind(
    name="reviewer",
    noun=_("评审人员"),
    search=_matching,
    exact=_named,
    label=str,
    placeholder=_("输入姓名或用户名"),
)
