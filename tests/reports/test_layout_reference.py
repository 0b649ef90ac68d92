# ruff: noqa: F811
"""Layout regressions fail (issue 18 points 5 and 6): every official document is laid out and
its lines compared with a reference rendering kept in `tests/reports/layout_reference/`.

* The PDF as the platform makes it (WeasyPrint), and the .docx as another word processor lays
  it out (LibreOffice converts it to PDF, headless, with a private profile).
* Each page is read as its lines: the text and where it starts (x, y in millimetres from the
  paper's top-left corner). A line that moved by more than `TOLERANCE_MM`, changed its text, or
  went to another page fails the test.
* On a failure the pages are kept as images, with the lines found, under
  `var/layout-failures/<document>-<format>/` (`MOFAN_VAR_DIR` when set) to look at.
* After a deliberate change of the layout, `MOFAN_UPDATE_LAYOUT=1 pytest
  tests/reports/test_layout_reference.py` writes the references again; review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from django.conf import settings

from mofan.core.exports import registry
from tests.reports.doc_fixtures import DOC_DAY, docs, rendered  # noqa: F401 (docs: a fixture)

REFERENCE = Path(__file__).parent / "layout_reference"
TOLERANCE_MM = 1.5
PT_MM = 25.4 / 72
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = pytest.mark.django_db

DOCUMENTS = ["results_bulletin", "naming_notice", "rectification_notice", "work_summary"]


def _export(docs: Any, identifier: str) -> Any:
    cls = registry.get(identifier)
    unit = docs.unit("A") if cls.per_unit else None
    return cls(
        campaign=docs.campaign, actor=docs.actor("committee_admin"), unit=unit, today=DOC_DAY
    )


def lines_of(data: bytes) -> list[list[dict[str, Any]]]:
    """Per page, its lines top to bottom: text and the position of its first character."""
    pdf = pdfium.PdfDocument(data)
    pages = []
    try:
        for page in pdf:
            height = page.get_height()
            text = page.get_textpage()
            rows: dict[int, list[tuple[float, str]]] = {}
            for index in range(text.count_chars()):
                char = text.get_text_range(index, 1)
                if not char.strip():
                    continue
                left, bottom, _right, _top = text.get_charbox(index, loose=True)
                key = round((height - bottom) * PT_MM)  # baseline-ish, to the millimetre
                rows.setdefault(key, []).append((left * PT_MM, char))
            merged: list[dict[str, Any]] = []
            for y in sorted(rows):
                chars = rows[y]  # in the order the page draws them: the reading order
                left = min(x for x, _c in chars)
                text_of_row = "".join(c for _x, c in chars)
                if merged and abs(merged[-1]["y"] - y) <= 1:  # one line split by rounding
                    merged[-1]["text"] += text_of_row
                    merged[-1]["x"] = min(merged[-1]["x"], round(left, 1))
                    continue
                merged.append({"y": y, "x": round(left, 1), "text": text_of_row})
            pages.append(merged)
    finally:
        pdf.close()
    return pages


def _keep_failure(name: str, data: bytes, found: list[list[dict[str, Any]]]) -> Path:
    folder = Path(os.environ.get("MOFAN_VAR_DIR") or settings.BASE_DIR / "var") / "layout-failures"
    folder = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    pdf = pdfium.PdfDocument(data)
    try:
        for number, page in enumerate(pdf, start=1):
            page.render(scale=1.5).to_pil().save(folder / f"page-{number}.png")
    finally:
        pdf.close()
    (folder / "lines.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    return folder


def compare(name: str, data: bytes) -> None:
    found = lines_of(data)
    path = REFERENCE / f"{name}.json"
    if os.environ.get("MOFAN_UPDATE_LAYOUT"):
        REFERENCE.mkdir(exist_ok=True)
        path.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n")
    assert path.exists(), f"no reference for {name}: run with MOFAN_UPDATE_LAYOUT=1"
    expected = json.loads(path.read_text())
    problems = []
    if len(found) != len(expected):
        problems.append(f"{len(found)} pages, the reference has {len(expected)}")
    for number, (page, want) in enumerate(zip(found, expected, strict=False), start=1):
        if [line["text"] for line in page] != [line["text"] for line in want]:
            problems.append(f"page {number}: the lines differ")
            continue
        for line, ref in zip(page, want, strict=True):
            moved = max(abs(line["x"] - ref["x"]), abs(line["y"] - ref["y"]))
            if moved > TOLERANCE_MM:
                problems.append(f"page {number}: {line['text'][:20]!r} moved {moved:.1f} mm")
    if problems:
        folder = _keep_failure(name, data, found)
        pytest.fail(f"{name}: layout changed ({'; '.join(problems[:5])}); see {folder}")


@pytest.mark.parametrize(
    "identifier",
    [d for d in DOCUMENTS if d != "work_summary"],  # a .docx draft only
)
def test_the_pdf_keeps_its_reference_layout(docs, identifier):
    compare(f"{identifier}-pdf", rendered(_export(docs, identifier), "pdf"))


def _libreoffice_pdf(docx: bytes, tmp_path: Path) -> bytes:
    assert SOFFICE is not None
    source = tmp_path / "document.docx"
    source.write_bytes(docx)
    out = tmp_path / "out"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    return (out / "document.pdf").read_bytes()


@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is missing; `make test` installs it"
)
@pytest.mark.parametrize("identifier", DOCUMENTS)
def test_the_docx_keeps_its_reference_layout_in_libreoffice(docs, identifier, tmp_path):
    data = _libreoffice_pdf(rendered(_export(docs, identifier), "docx"), tmp_path)
    compare(f"{identifier}-docx", data)
    pages = lines_of(data)
    printed = [
        (number, line["y"])
        for number, page in enumerate(pages, start=1)
        for line in page
        if line["text"].endswith("印发")
    ]
    if identifier != "work_summary":  # a draft for the office: no 版记
        # 7.4: the 版记 on the last page, its last line the lowest of the 版心 (whose foot is
        # 297 - 35 = 262 mm from the top), however far up the text above it ends.
        ((page, y),) = printed
        assert page == len(pages), (page, len(pages))
        assert 262 - 12 <= y <= 262, y
    else:
        assert printed == []
