"""Every registered export, end to end through the real renderers: the command line writes
each identifier in each of its formats and the file opens as what it claims to be; the upper
report package holds the four real parts; the export page offers the committee all of them and a
unit only what its pages show."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document as WordDocument
from openpyxl import load_workbook

from mofan.core.exports import registry
from tests.reports.table_fixtures import approved_world, make_items
from tests.world import logged_in

pytestmark = pytest.mark.django_db

IDENTIFIERS = {
    "ranking",
    "score_sheet",
    "problem_list",
    "supervision_ledger",
    "evidence_index",
    "burden",
    "results_bulletin",
    "naming_notice",
    "rectification_notice",
    "work_summary",
    "upper_report",
}


def test_the_registry_holds_exactly_the_issues_identifiers():
    assert {cls.identifier for cls in registry.all_exports()} == IDENTIFIERS


def _opens(fmt: str, data: bytes) -> str:
    """What the file shows when opened as its format (a few words of its text)."""
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(data), read_only=True).active
        return " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")
        return data.decode("utf-8-sig")
    if fmt == "docx":
        return "\n".join(p.text for p in WordDocument(io.BytesIO(data)).paragraphs)
    if fmt == "pdf":
        assert data.startswith(b"%PDF-")
        return "pdf"
    if fmt == "zip":
        return " ".join(zipfile.ZipFile(io.BytesIO(data)).namelist())
    raise AssertionError(fmt)


def test_the_command_writes_every_export_in_every_format(tmp_path: Path, capsys):
    world = approved_world(publish=True, ranking=True)
    make_items(world)
    campaign = world.campaign
    written = []
    for cls in registry.all_exports():
        for fmt in cls.formats:
            out = tmp_path / f"{cls.identifier}.{fmt}"
            args = [str(campaign.pk), cls.identifier, "--format", fmt, "-o", str(out)]
            if cls.per_unit:
                args += ["--unit", str(world.ea.unit_id)]
            call_command("export", *args)
            text = _opens(fmt, out.read_bytes())
            assert text, (cls.identifier, fmt)
            written.append((cls.identifier, fmt))
            if cls.identifier == "ranking" and fmt != "pdf":
                assert "甲单位" in text and "乙单位" in text
            if cls.identifier == "naming_notice" and fmt == "docx":
                assert "甲单位" in text
            if cls.identifier == "upper_report":
                assert len(text.split()) == 4 and text.count(".docx") == 2
    formats = {cls.identifier: cls.formats for cls in registry.all_exports()}
    assert len(written) == sum(len(f) for f in formats.values())
    assert {"xlsx", "csv"} <= set(formats["ranking"])
    assert {"xlsx", "csv", "docx", "pdf"} <= set(formats["score_sheet"])
    assert "pdf" in formats["results_bulletin"]
    call_command("export", "--list")
    listing = capsys.readouterr().out
    assert all(identifier in listing for identifier in IDENTIFIERS)


def test_the_export_page_offers_each_persona_what_its_pages_show():
    world = approved_world(publish=True)
    url = reverse("reports:exports", args=[world.campaign.pk])
    staff = logged_in(world.user("committee_admin")).get(url).content.decode()
    for identifier in IDENTIFIERS:
        assert identifier in staff, identifier
    unit = logged_in(world.user("owner")).get(url).content.decode()
    assert "score_sheet" in unit and "rectification_notice" in unit
    # The unit does not get the committee's package, summary or evidence of all units.
    assert "upper_report" not in unit and "work_summary" not in unit
    outsider = logged_in(world.user("other_admin")).get(url)
    assert outsider.status_code == 404


def test_the_export_page_lists_the_package_then_documents_then_tables():
    world = approved_world(publish=True)
    url = reverse("reports:exports", args=[world.campaign.pk])
    page = logged_in(world.user("committee_admin")).get(url).content.decode()
    positions = [
        page.index(f'value="{i}"') for i in ("upper_report", "results_bulletin", "ranking")
    ]
    assert positions == sorted(positions)
