"""Golden text (issue 18 point 3): each campaign document of each built-in template, generated
from a whole simulated campaign (`campaign_simulate`, four units, a fixed seed) and dated one
fixed day, reads exactly as its file under `golden/<template>/`. A change of wording, a zero
line, a placeholder or a lost table row shows up as a diff a reviewer reads; regenerate the
files with MOFAN_UPDATE_GOLDEN=1 and read the diff before committing it.

Days the simulation takes from the calendar (deadlines, submission dates) are replaced by
<日期> in the comparison; the document's own date is the fixed `DAY` and stays as it is.
"""

from __future__ import annotations

import datetime
import io
import os
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from docx import Document

from mofan.campaigns.models import Campaign
from mofan.core.exports import registry
from mofan.indicators.builtin import SLUGS
from mofan.organizations.models import Unit
from mofan.rectification.models import ProblemItem
from mofan.reports.actors import system_actor
from mofan.reports.render import render
from tests.devtools.test_simulate import simulate

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"
DAY = datetime.date(2026, 6, 30)
DOCUMENTS = ("results_bulletin", "naming_notice", "rectification_notice", "work_summary")
CHINESE_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
ZERO_LINE = re.compile(r"(?<![\d.])0(个|次|项|家|人)")


def docx_text(data: bytes) -> str:
    """The body as a reader meets it: paragraphs, and each table row as its cells joined by
    " | ", in document order."""
    document = Document(io.BytesIO(data))
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(
                "".join(node.text or "" for node in child.iter() if node.tag.endswith("}t"))
            )
        elif tag == "tbl":
            for row in child.iter():
                if row.tag.endswith("}tr"):
                    cells = [
                        "".join(n.text or "" for n in cell.iter() if n.tag.endswith("}t"))
                        for cell in row
                        if cell.tag.endswith("}tc")
                    ]
                    lines.append(" | ".join(cells))
    return "\n".join(line.rstrip() for line in lines).strip() + "\n"


def _calendar_free(text: str) -> str:
    fixed = f"{DAY.year}年{DAY.month}月{DAY.day}日"
    return CHINESE_DATE.sub(lambda m: m.group(0) if m.group(0) == fixed else "<日期>", text)


def _simulated(template: str) -> Campaign:
    summary = simulate(template, units=4, seed=7)
    return Campaign.objects.select_related("committee").get(pk=summary["campaign_id"])


@pytest.mark.parametrize("template", SLUGS)
def test_each_document_reads_as_its_golden_text(template: str) -> None:
    campaign = _simulated(template)
    actor = system_actor(campaign.committee_id)
    # The simulation closes every item it lists, so a unit with items (all closed), or any
    # unit where none was listed, must be refused its 整改通知书.
    items = ProblemItem.objects.filter(campaign=campaign).order_by("state", "pk")
    listed = items.exclude(state="closed").first() or items.first()
    some_unit = (
        listed.unit
        if listed is not None
        else Unit.objects.filter(enrollments__campaign=campaign).order_by("pk").first()
    )
    differ = []
    for identifier in DOCUMENTS:
        cls = registry.get(identifier)
        unit = None
        if cls.per_unit:
            unit = some_unit
        export = cls(campaign=campaign, actor=actor, unit=unit, today=DAY)
        try:
            export.check()
        except ValidationError as refused:  # e.g. no 先进单位 to name: the refusal is golden
            text = "不生成：" + "".join(refused.messages) + "\n"
        else:
            stream = io.BytesIO()
            render(export, "docx", stream)
            text = _calendar_free(docx_text(stream.getvalue()))
        assert not ZERO_LINE.search(text), f"{template} {identifier}: a zero line in {text}"
        path = GOLDEN / template / f"{identifier}.txt"
        if os.environ.get("MOFAN_UPDATE_GOLDEN"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        assert path.exists(), f"no golden text {path}: run with MOFAN_UPDATE_GOLDEN=1"
        if path.read_text() != text:
            differ.append(identifier)
    assert differ == [], f"{template}: the text of {differ} changed (MOFAN_UPDATE_GOLDEN=1)"
