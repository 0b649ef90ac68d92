"""Anonymity (issue 17 point 2): no identifying column on a response, the one-time token burned
but not linked, nothing logged with the answers, free text shown to a unit only from N
responses on."""

from __future__ import annotations

import logging

import pytest
from django.db import models
from django.test import Client, override_settings

from mofan.accounts.models import User
from mofan.surveys import selectors
from mofan.surveys.models import Answer, Response, Token
from mofan.surveys.services import tokens_issue
from tests.surveys.world import answer, build_world, form_data
from tests.world import logged_in

pytestmark = pytest.mark.django_db
SUSPECT_NAMES = ("ip", "agent", "user", "token", "address", "session", "time")


@pytest.mark.parametrize("model", [Response, Answer])
def test_no_identifying_field(model: type[models.Model]) -> None:
    for field in model._meta.get_fields():
        assert not isinstance(field, models.GenericIPAddressField), field
        assert not isinstance(field, models.DateTimeField), field
        related = getattr(field, "related_model", None)
        assert related not in (User, Token), field
        name = field.name.lower()
        assert not any(
            part in name.split("_") or name.startswith(part) for part in SUSPECT_NAMES
        ), field


def test_introspection_catches_an_identifying_field() -> None:
    """The check above can fail: a field named like an address is caught."""
    field = models.GenericIPAddressField(name="client_ip")
    assert isinstance(field, models.GenericIPAddressField)
    assert any(part in field.name.split("_") for part in SUSPECT_NAMES)


def test_token_is_burned_and_not_linked(caplog: pytest.LogCaptureFixture) -> None:
    w = build_world()
    [token] = tokens_issue(survey_unit=w.su(w.unit_a), count=1, actor=w.actor("committee_admin"))
    secret_text = "食堂饭菜太贵请改进"
    caplog.set_level(logging.DEBUG)
    with (
        caplog.at_level(logging.DEBUG, logger="django.request"),
        caplog.at_level(logging.DEBUG, logger="django.server"),
    ):
        client = Client()
        page = client.post(f"/s/{token.key}/", form_data(w.survey, text=secret_text))
        again = client.post(f"/s/{token.key}/", form_data(w.survey, text=secret_text))
    assert page.status_code == 302
    assert "此链接已使用过" in again.content.decode()
    token.refresh_from_db()
    assert token.used
    response = Response.objects.get(survey=w.survey)
    assert response.unit_id == w.unit_a.pk
    assert Answer.objects.filter(response=response, text=secret_text).count() == 1
    for record in caplog.records:
        message = record.getMessage()
        assert token.key not in message, message
        assert secret_text not in message, message


def test_free_text_shown_to_a_unit_only_from_n_responses() -> None:
    w = build_world()
    with override_settings(MOFAN_SURVEY_MIN_RESPONSES=3):
        answer(w, w.unit_a, text="甲单位意见", n=2)
        answer(w, w.unit_b, text="乙单位意见", n=3)
        admin_page = logged_in(w.users["committee_admin"]).get(f"/surveys/{w.survey.pk}/")
        unit_page = logged_in(w.users["unit_admin"]).get(f"/surveys/{w.survey.pk}/")
        assert "甲单位意见" in admin_page.content.decode()
        assert "乙单位意见" in admin_page.content.decode()
        body = unit_page.content.decode()
        assert "甲单位意见" not in body and "乙单位意见" not in body
        assert list(selectors.free_texts(w.actor("unit_admin"), w.survey)) == []
        answer(w, w.unit_a, text="第三份", n=1)
        body = logged_in(w.users["unit_admin"]).get(f"/surveys/{w.survey.pk}/").content.decode()
        assert "甲单位意见" in body and "乙单位意见" not in body
