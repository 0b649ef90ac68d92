"""The respondent's side: which survey and unit a link opens, the per-address rate limit and
storing a response.

What is kept (issue 17 point 2): the response row holds the survey, the unit and the day; the
one-time token is burned in the same transaction but nothing links it to the response. The rate
limit counts per client address in Django's cache only, under a key that is an HMAC of the
address with a salt derived from SECRET_KEY and the day, so yesterday's keys cannot be tied to
an address today, and no address reaches the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from mofan.surveys.models import Answer, Response, Survey, SurveyUnit, Token
from mofan.surveys.rules import read_form

RATE_WINDOW = 600  # seconds


@dataclass(frozen=True)
class Opened:
    """What a link opens: the survey and unit, and the one-time token (None for a QR link)."""

    survey: Survey
    unit_id: int
    unit_name: str
    token: str | None
    used: bool = False


class Refused(Exception):
    """The form is refused as a whole (used link, closed survey, outdated version, too many)."""


def opened_by_token(key: str) -> Opened | None:
    token = Token.objects.select_related("survey_unit__survey", "survey_unit__unit").filter(key=key)
    found = token.first()
    if found is None:
        return None
    su = found.survey_unit
    return Opened(su.survey, su.unit_id, su.unit.name, key, found.used)


def opened_by_code(code: str) -> Opened | None:
    su = SurveyUnit.objects.select_related("survey", "unit").filter(code=code).first()
    return None if su is None else Opened(su.survey, su.unit_id, su.unit.name, None)


def is_open(survey: Survey, today: dt.date) -> bool:
    return survey.starts_on <= today <= survey.ends_on


def rate_key(address: str, today: dt.date) -> str:
    """The cache key of an address today: HMAC-SHA256 under a salt of SECRET_KEY and the day."""
    salt = hmac.new(
        settings.SECRET_KEY.encode(), f"survey-rate:{today.isoformat()}".encode(), hashlib.sha256
    ).digest()
    return "survey-rate:" + hmac.new(salt, address.encode(), hashlib.sha256).hexdigest()


def rate_exceeded(address: str | None, today: dt.date) -> bool:
    """Count one submission from the address; True once it is over the limit for the window."""
    limit = getattr(settings, "MOFAN_SURVEY_RATE_LIMIT", 20)
    key = rate_key(address or "unknown", today)
    cache.add(key, 0, RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW)
        count = 1
    return count > limit


def response_submit(
    *,
    opened: Opened,
    version: str,
    data: Mapping[str, Sequence[str]],
    today: dt.date,
) -> dict[str, str]:
    """Store a response (and burn its one-time token) or give the errors by question; raises
    `Refused` for a form that cannot be taken at all. Nothing is stored on an error."""
    survey = opened.survey
    if not is_open(survey, today):
        raise Refused(_("本次测评不在答题期内，感谢您的关注。"))
    if version != str(survey.version):
        raise Refused(_("问卷已更新，请重新打开链接后填写。"))
    given, errors = read_form(survey.frozen, data)
    if errors:
        return errors
    with transaction.atomic():
        if opened.token is not None:
            burned = Token.objects.filter(key=opened.token, used=False).update(used=True)
            if not burned:
                raise Refused(_("此链接已使用过，每个链接只能填写一次。"))
        response = Response.objects.create(survey=survey, unit_id=opened.unit_id, answered_on=today)
        Answer.objects.bulk_create(
            Answer(
                response=response, question=g.question, option=g.option, scale=g.scale, text=g.text
            )
            for g in given
        )
    return {}
