"""An honour programme's naming decision drafted and issued (issue 18 point 1, the programme
page's 起草 button): only the staff of the programme's committee draft it (a unit's people 403,
another committee 404); issued with the next number of the committee's register; a unit's
people never see it among the issued documents (it is not addressed to one unit)."""

# ruff: noqa: F811
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from mofan.reports import issuing
from mofan.reports.models import DocumentDraft, IssuedDocument
from tests.reports.doc_fixtures import open_docx
from tests.reports.issuing_fixtures import issued_dir  # noqa: F401 (a fixture)
from tests.reports.test_honours_naming import named_programme, w  # noqa: F401 (w: a fixture)
from tests.world import logged_in

pytestmark = pytest.mark.django_db


def test_the_naming_decision_is_drafted_and_issued(
    w, issued_dir, django_capture_on_commit_callbacks
):
    p = named_programme(w)
    create = reverse("reports:programme_draft_create", args=[p.pk]) + "?name=honours_naming"
    detail = f"/honours/programmes/{p.pk}/"
    admin = logged_in(w.users["committee_admin"])
    assert create in admin.get(detail).content.decode()
    for name, status in {
        "unit_admin": 403,
        "unit_leader": 403,
        "reviewer": 403,
        "other_admin": 404,
    }.items():
        assert logged_in(w.users[name]).post(create).status_code == status, name
    for name in ("unit_admin", "unit_leader"):
        page = logged_in(w.users[name]).get(detail)
        assert page.status_code == 200 and "/drafts/new/" not in page.content.decode(), name
    assert not DocumentDraft.objects.exists()
    wrong = reverse("reports:programme_draft_create", args=[p.pk]) + "?name=naming_notice"
    assert admin.post(wrong).status_code == 404
    response = admin.post(create)
    draft = DocumentDraft.objects.get()
    assert response["Location"] == reverse("reports:draft", args=[draft.pk])
    assert draft.programme == p and draft.unit is None and "甲党员" in str(draft.content)
    page = admin.get(response["Location"]).content.decode()
    assert "印发效果预览" in page and p.name in page
    actor = w.actor("committee_admin")
    issuing.register_update(committee=p.committee, prefix="焦直", actor=actor)
    with django_capture_on_commit_callbacks(execute=True):
        issued = issuing.document_issue(
            draft=draft, date=dt.date(2026, 6, 1), version=draft.version, actor=actor
        )
    assert issued.number == "焦直〔2026〕1号" and issued.programme == p
    docx = open_docx((issued_dir / issued.docx_name).read_bytes())
    assert "焦直〔2026〕1号" in "\n".join(par.text for par in docx.paragraphs)
    for name in ("unit_admin", "unit_leader"):
        listing = logged_in(w.users[name]).get(reverse("reports:issued")).content.decode()
        assert issued.number not in listing, name
    other = logged_in(w.users["other_admin"])
    assert other.get(reverse("reports:issued_pdf", args=[issued.pk])).status_code == 404
    assert IssuedDocument.objects.count() == 1
